//go:build tools

// The module root of go.etcd.io/etcd/server/v3 is etcd's main package; the import keeps it in
// go.mod and go.sum for `go mod tidy`. The tag keeps the file out of every build.
package tools

import _ "go.etcd.io/etcd/server/v3"
