package web

// HasMessage is exported for the tests of package web_test.
func HasMessage(key string) bool { return hasMessage(key) }
