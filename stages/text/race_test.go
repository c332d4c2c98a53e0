//go:build race

package text

// raceEnabled scales down the largest inputs, which the race detector slows tenfold.
const raceEnabled = true
