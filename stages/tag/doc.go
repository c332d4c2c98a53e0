// Package tag is the "tag" stage: it adds tags to entries from a dictionary
// of cloud-native projects and topics and from configured rules.
//
//	stages:
//	  - type: tag
//	    dictionary: builtin            # builtin (default) | none
//	    dictionary_files: [extra.yaml] # relative to the config file; merged after builtin, in order
//	    fields: [title, text]          # fields the dictionary and rules search (default)
//	    rules:
//	      - {tag: observability, any: [prometheus, thanos, cortex, m3]}
//	      - {tag: autoscaling, regex: '(?i)\bauto-?scal'}
//	      - {tag: k8s-security, all: [kubernetes, security], none: [job, hiring]}
//	      - {tag: from-cncf, any: [cncf], fields: [url, source]}
//
// Fields are title, text, url, source and categories (each category is
// searched on its own). A rule adds its tag when all of its conditions hold:
// any (one keyword occurs), all (every keyword occurs), none (no keyword
// occurs) and regex (a Go RE2 expression matches one of the fields); it needs
// at least one of any, all and regex. A regex runs only on entries that
// contain a literal every match of it needs ("auto" for (?i)\bauto-?scal),
// which the keyword search finds at no extra cost.
//
// Keywords match whole words — the characters around a match must not be
// letters or digits, so "-", "_", "." and punctuation are boundaries — ASCII
// case-insensitively, and a space in a keyword matches any run of whitespace.
//
// Dictionary files look like the builtin dictionary.yaml:
//
//	tags:
//	  - tag: fluent-bit
//	    aliases: [fluent bit, fluent-bit, fluentbit] # case-insensitive keywords
//	    exact: [Helm]                                # case-sensitive keywords, for common words
//	    implies: [observability]                     # further tags, transitively
//	    replace: true                                # replace an earlier file's entry instead of extending it
//	    disabled: true                               # remove the tag (alone, without other keys)
//
// An entry for a tag that an earlier file defined adds to its aliases, exact
// keywords and implied tags unless it says replace or disabled.
//
// All keywords of a stage are compiled into one Aho–Corasick automaton that
// reports overlapping matches, so each field is read once per entry whatever
// the number of keywords, and nested keywords ("gateway api" inside
// "kubernetes gateway api") are all found.
package tag
