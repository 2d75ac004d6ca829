//go:build !unix

package testdb

import "os/exec"

// unprivilegedUser returns nil: outside Unix there is no root to step down from.
func unprivilegedUser() (*osUser, error) { return nil, nil }

// apply does nothing, since unprivilegedUser never returns a user here.
func (u *osUser) apply(cmd *exec.Cmd) {}
