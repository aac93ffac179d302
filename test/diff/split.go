package main

import (
	"fmt"
	"strings"
)

// Statement is one statement of a script, without its terminating semicolon and without
// the comments and blank lines before it.
type Statement struct {
	SQL  string
	Line int // line of the statement's first character, from 1
	// Exclude is the reason given by a "-- diff: exclude <reason>" comment before the
	// statement: it still runs on both hosts, so that they stay in step, but its output is
	// not compared.
	Exclude string
}

// excludeDirective starts a comment that excludes the next statement from comparison.
const excludeDirective = "diff: exclude"

// Split cuts a script into statements where psql would: at semicolons outside quotes,
// comments, parentheses and the body of a CREATE FUNCTION or PROCEDURE ... BEGIN ATOMIC.
// It knows standard strings ('it”s'), escape strings (E'\”), quoted identifiers,
// dollar quotes ($$ ... $$, $tag$ ... $tag$), line comments and nested block comments.
// psql's backslash commands and variables are not supported: a backslash outside a string
// is an error.
//
// https://www.postgresql.org/docs/current/sql-syntax-lexical.html
func Split(src string) ([]Statement, error) {
	s := &splitter{src: src, line: 1}
	if err := s.run(); err != nil {
		return nil, err
	}
	return s.out, nil
}

type splitter struct {
	src  string
	pos  int
	line int
	out  []Statement

	start, startLine int // first character of the current statement; -1 before it
	exclude          string
	parens           int
	words            []string // the statement's first words, lower case, for BEGIN ATOMIC
	atomic           int      // depth of BEGIN ... END inside a function body
}

func (s *splitter) run() error {
	s.start = -1
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '\n':
			s.line++
			s.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			s.pos++
		case c == '-' && s.peek(1) == '-':
			s.lineComment()
		case c == '/' && s.peek(1) == '*':
			if err := s.blockComment(); err != nil {
				return err
			}
		case c == ';' && s.parens == 0 && s.atomic == 0:
			s.finish()
			s.pos++
		default:
			s.begin()
			if err := s.token(); err != nil {
				return err
			}
		}
	}
	s.finish()
	return nil
}

func (s *splitter) peek(n int) byte {
	if s.pos+n < len(s.src) {
		return s.src[s.pos+n]
	}
	return 0
}

// begin marks the start of a statement at the current character, if none is open.
func (s *splitter) begin() {
	if s.start < 0 {
		s.start, s.startLine = s.pos, s.line
	}
}

// finish ends the open statement, if any, before the current character.
func (s *splitter) finish() {
	if s.start >= 0 {
		sql := strings.TrimRight(s.src[s.start:s.pos], " \t\r\n\f")
		s.out = append(s.out, Statement{SQL: sql, Line: s.startLine, Exclude: s.exclude})
		s.exclude = ""
	}
	s.start, s.parens, s.words, s.atomic = -1, 0, nil, 0
}

func (s *splitter) lineComment() {
	end := strings.IndexByte(s.src[s.pos:], '\n')
	if end < 0 {
		end = len(s.src) - s.pos
	}
	text := strings.TrimSpace(s.src[s.pos+2 : s.pos+end])
	if s.start < 0 && strings.HasPrefix(text, excludeDirective) {
		reason := strings.TrimSpace(strings.TrimPrefix(text, excludeDirective))
		if reason == "" {
			reason = "(no reason given)"
		}
		s.exclude = reason
	}
	s.pos += end
}

func (s *splitter) blockComment() error {
	line, depth := s.line, 0
	for s.pos < len(s.src) {
		switch {
		case s.src[s.pos] == '/' && s.peek(1) == '*':
			depth++
			s.pos += 2
		case s.src[s.pos] == '*' && s.peek(1) == '/':
			depth--
			s.pos += 2
			if depth == 0 {
				return nil
			}
		default:
			if s.src[s.pos] == '\n' {
				s.line++
			}
			s.pos++
		}
	}
	return fmt.Errorf("line %d: unterminated /* comment", line)
}

// token consumes one token of a statement: a quoted string or identifier, a dollar-quoted
// string, a word, or one other character.
func (s *splitter) token() error {
	c := s.src[s.pos]
	switch {
	case c == '\'':
		return s.quoted('\'', false)
	case c == '"':
		return s.quoted('"', false)
	case (c == 'e' || c == 'E') && s.peek(1) == '\'':
		s.pos++
		return s.quoted('\'', true)
	case c == '$':
		if tag, ok := s.dollarTag(); ok {
			return s.dollarQuoted(tag)
		}
		s.pos++ // a parameter such as $1
	case isIdentStart(c):
		s.word()
	case c == '(':
		s.parens++
		s.pos++
	case c == ')':
		if s.parens > 0 {
			s.parens--
		}
		s.pos++
	case c == '\\':
		return fmt.Errorf("line %d: psql backslash commands are not supported", s.line)
	default:
		s.pos++
	}
	return nil
}

// quoted consumes a string or quoted identifier; a doubled quote stands for itself, and in
// an escape string a backslash escapes the next character.
func (s *splitter) quoted(q byte, backslash bool) error {
	line := s.line
	s.pos++
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '\n':
			s.line++
		case backslash && c == '\\':
			s.pos++
			if s.pos < len(s.src) && s.src[s.pos] == '\n' {
				s.line++
			}
		case c == q && s.peek(1) == q:
			s.pos++
		case c == q:
			s.pos++
			return nil
		}
		s.pos++
	}
	return fmt.Errorf("line %d: unterminated quoted string or identifier", line)
}

// dollarTag reads a dollar-quote opening delimiter ($$ or $tag$) at the current position.
func (s *splitter) dollarTag() (string, bool) {
	i := s.pos + 1
	if i < len(s.src) && s.src[i] != '$' && !isIdentStart(s.src[i]) {
		return "", false // $1, or a lone $
	}
	for i < len(s.src) && s.src[i] != '$' {
		if !isIdentCont(s.src[i]) || s.src[i] == '$' {
			return "", false
		}
		i++
	}
	if i >= len(s.src) {
		return "", false
	}
	return s.src[s.pos : i+1], true
}

func (s *splitter) dollarQuoted(tag string) error {
	line := s.line
	body := s.pos + len(tag)
	end := strings.Index(s.src[body:], tag)
	if end < 0 {
		return fmt.Errorf("line %d: unterminated dollar-quoted string %s", line, tag)
	}
	stop := body + end + len(tag)
	s.line += strings.Count(s.src[s.pos:stop], "\n")
	s.pos = stop
	return nil
}

// word consumes an identifier or key word (which may contain $, so foo$bar$ is one word)
// and tracks BEGIN ATOMIC bodies the way psql does: inside CREATE [OR REPLACE] FUNCTION or
// PROCEDURE, BEGIN opens a block, CASE inside a block opens another, END closes one.
func (s *splitter) word() {
	i := s.pos
	for i < len(s.src) && isIdentCont(s.src[i]) {
		i++
	}
	w := strings.ToLower(s.src[s.pos:i])
	s.pos = i
	if len(s.words) < 4 {
		s.words = append(s.words, w)
	}
	if !s.routine() {
		return
	}
	switch {
	case w == "begin":
		s.atomic++
	case w == "case" && s.atomic > 0:
		s.atomic++
	case w == "end" && s.atomic > 0:
		s.atomic--
	}
}

// routine reports whether the statement so far creates a function or procedure.
func (s *splitter) routine() bool {
	w := s.words
	isRoutine := func(x string) bool { return x == "function" || x == "procedure" }
	if len(w) < 2 || w[0] != "create" {
		return false
	}
	if isRoutine(w[1]) {
		return true
	}
	return len(w) >= 4 && w[1] == "or" && w[2] == "replace" && isRoutine(w[3])
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 0x80 || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func isIdentCont(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9') || c == '$'
}
