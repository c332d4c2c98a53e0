//go:build race

package tag

// raceEnabled is true under -race, where sync.Pool (used by regexp) drops
// pooled values at random, so allocation counts are not deterministic.
const raceEnabled = true
