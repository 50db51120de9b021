// Package backend chooses the GoMLX backend corpushunt trains and encodes on.
//
// The choice is automatic: the pure-Go backend unless XLA is asked for (GOMLX_BACKEND=xla:cuda,
// xla:cpu or xla:/path/to/pjrt_plugin.so) and present. Plugins are never downloaded at run
// time (GOMLX_NO_AUTO_INSTALL=1 is set); asking for a missing XLA is an error that names
// the fix. The pure-Go backend comes wrapped by package trainops, which supplies what it
// lacks for training; that patching is kept apart from the choice made here.
package backend
