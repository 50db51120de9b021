//go:build !linux

package localcluster

import (
	"os"
	"syscall"
)

// sysProcAttr: outside Linux nodes share this process's group and have no parent-death
// signal, so a node can outlive a process that dies without calling Stop.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup signals the process pid.
func signalGroup(pid int, sig syscall.Signal) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Signal(sig)
	}
}
