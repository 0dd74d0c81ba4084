//go:build tools

// The commands this module builds; the import keeps them (and their dependencies) in go.mod and
// go.sum for `go mod tidy`. The tag keeps the file out of every build.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
