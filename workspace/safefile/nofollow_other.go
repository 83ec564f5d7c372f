//go:build !unix

package safefile

// noFollow is 0 where open(2) has no O_NOFOLLOW; O_EXCL still refuses an
// existing name, link or not.
const noFollow = 0
