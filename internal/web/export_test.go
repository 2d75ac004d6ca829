package web

// HasMessage is exported for the tests of package web_test.
func HasMessage(key string) bool {
	_, ok := messages[key]
	return ok
}
