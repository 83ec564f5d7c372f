// Package harden protects a process that will hold unlocked key material:
// both programs, mtlswb and mtlswb-tui, call it first thing in main.
//
// It imports the standard library only, and nothing of the module.
package harden
