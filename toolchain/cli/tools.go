//go:build tools

// Package tools pins the Pulumi CLI (cmd/pulumi) so go.mod/go.sum lock its whole build.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
