//go:build !unix

package main

func foreground(int) bool { return true }
