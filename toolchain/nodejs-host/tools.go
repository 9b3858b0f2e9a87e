//go:build tools

// Package tools pins the nodejs language host, a package of the sdk module up to v3.68.0.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
