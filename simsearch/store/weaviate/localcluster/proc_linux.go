package localcluster

import "syscall"

// sysProcAttr puts a node in its own process group, killed if the starting thread dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup signals the process group led by pid.
func signalGroup(pid int, sig syscall.Signal) { syscall.Kill(-pid, sig) }
