package text

import "golang.org/x/net/html/atom"

// kind says how an element affects the text: which break it makes, whether its
// content is dropped, and how it takes part in implied end tags.
type kind uint16

const (
	block        kind = 1 << iota // paragraph break before and after
	line                          // line break before and after (list items, table rows)
	cell                          // a space between table cells
	list                          // paragraph break, or a line break inside a list item
	phrasing                      // inline: transparent when looking for an element to close implicitly
	void                          // never has content or an end tag
	drop                          // the whole subtree is dropped
	preformatted                  // whitespace and line breaks are kept
)

// kinds covers the elements that matter; unknown ones make no break.
var kinds = map[atom.Atom]kind{
	atom.Address: block, atom.Article: block, atom.Aside: block, atom.Blockquote: block,
	atom.Body: block, atom.Caption: block, atom.Center: block, atom.Details: block,
	atom.Div: block, atom.Fieldset: block, atom.Figcaption: block,
	atom.Figure: block, atom.Footer: block, atom.Form: block, atom.H1: block, atom.H2: block,
	atom.H3: block, atom.H4: block, atom.H5: block, atom.H6: block, atom.Header: block,
	atom.Hgroup: block, atom.Html: block, atom.Legend: block, atom.Main: block, atom.Nav: block,
	atom.P: block, atom.Section: block, atom.Summary: block, atom.Table: block,
	atom.Pre: block | preformatted, atom.Listing: block | preformatted,
	atom.Hr: block | void,

	atom.Ul: list, atom.Ol: list, atom.Dl: list, atom.Menu: list, atom.Dir: list,
	atom.Li: line, atom.Dt: line, atom.Dd: line, atom.Tr: line,
	atom.Td: cell, atom.Th: cell,

	// Content that is not text a reader sees: code, styling, embedded
	// documents and objects, metadata, form controls and media fallbacks.
	// <head> itself is not dropped, since a missing </head> would swallow the
	// body; the elements in it that hold text are.
	atom.Script: drop, atom.Style: drop, atom.Noscript: drop, atom.Template: drop,
	atom.Iframe: drop, atom.Object: drop, atom.Applet: drop, atom.Svg: drop, atom.Math: drop,
	atom.Title: drop, atom.Textarea: drop, atom.Select: drop, atom.Button: drop,
	atom.Datalist: drop, atom.Xmp: drop, atom.Plaintext: drop, atom.Noembed: drop,
	atom.Noframes: drop, atom.Frameset: drop, atom.Canvas: drop, atom.Audio: drop,
	atom.Video: drop, atom.Map: drop, atom.Dialog: drop,

	atom.Area: void, atom.Base: void, atom.Br: void, atom.Col: void, atom.Embed: void,
	atom.Img: void, atom.Input: void, atom.Keygen: void, atom.Link: void, atom.Meta: void,
	atom.Param: void, atom.Source: void, atom.Track: void, atom.Wbr: void, atom.Frame: void,

	atom.A: phrasing, atom.Abbr: phrasing, atom.B: phrasing, atom.Bdi: phrasing,
	atom.Bdo: phrasing, atom.Big: phrasing, atom.Cite: phrasing, atom.Code: phrasing,
	atom.Data: phrasing, atom.Del: phrasing, atom.Dfn: phrasing, atom.Em: phrasing,
	atom.Font: phrasing, atom.I: phrasing, atom.Ins: phrasing, atom.Kbd: phrasing,
	atom.Label: phrasing, atom.Mark: phrasing, atom.Nobr: phrasing, atom.Q: phrasing,
	atom.Rp: phrasing, atom.Rt: phrasing, atom.Ruby: phrasing, atom.S: phrasing,
	atom.Samp: phrasing, atom.Small: phrasing, atom.Span: phrasing, atom.Strike: phrasing,
	atom.Strong: phrasing, atom.Sub: phrasing, atom.Sup: phrasing, atom.Time: phrasing,
	atom.Tt: phrasing, atom.U: phrasing, atom.Var: phrasing,
}

// closes lists, for a start tag, the open elements it ends implicitly (as
// "<li>a<li>b" does) and the elements it may look through to find them; an
// element that is neither stops the search. This is a small part of HTML's
// tree construction, enough to end hidden paragraphs, items and cells where a
// browser would.
type implied struct {
	closes  []atom.Atom
	through kind
}

var (
	closesP     = implied{[]atom.Atom{atom.P}, phrasing}
	closesItem  = implied{[]atom.Atom{atom.Li}, phrasing | block}
	closesDef   = implied{[]atom.Atom{atom.Dt, atom.Dd}, phrasing | block}
	closesCell  = implied{[]atom.Atom{atom.Td, atom.Th}, phrasing | block | list}
	closesRow   = implied{[]atom.Atom{atom.Tr, atom.Td, atom.Th}, phrasing | block | list}
	impliedEnds = map[atom.Atom]implied{
		atom.Li: closesItem, atom.Dt: closesDef, atom.Dd: closesDef,
		atom.Td: closesCell, atom.Th: closesCell, atom.Tr: closesRow,
	}
)

// impliedBy returns what a start tag of a closes implicitly.
func impliedBy(a atom.Atom) (implied, bool) {
	if im, ok := impliedEnds[a]; ok {
		return im, true
	}
	if k := kinds[a]; k&(block|list) != 0 && k&void == 0 {
		return closesP, true
	}
	return implied{}, false
}
