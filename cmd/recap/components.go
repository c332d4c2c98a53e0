package main

// Every connector and stage registers itself; linking them in is all the
// wiring the CLI needs.
import (
	_ "github.com/recap-dev/recap/connectors/feed"
	_ "github.com/recap-dev/recap/connectors/natstags"
	_ "github.com/recap-dev/recap/connectors/parquet"
	_ "github.com/recap-dev/recap/connectors/tail"
	_ "github.com/recap-dev/recap/connectors/transcript"
	_ "github.com/recap-dev/recap/stages/tag"
	_ "github.com/recap-dev/recap/stages/text"
)
