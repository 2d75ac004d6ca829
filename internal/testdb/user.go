package testdb

import "os"

// osUser is the account the PostgreSQL programs run as when the tests run as
// root. A nil *osUser means "the current user" and all methods accept it.
type osUser struct {
	name     string
	uid, gid int
}

// chown gives path to the user, so the PostgreSQL programs can write there.
func (u *osUser) chown(path string) error {
	if u == nil {
		return nil
	}
	return os.Chown(path, u.uid, u.gid)
}
