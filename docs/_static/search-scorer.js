/*
 * padguide's search scorer (html_search_scorer), read by Sphinx's searchtools.js.
 *
 * Sphinx gives every page that contains a word the same score and breaks ties
 * alphabetically, so the reference pages, which mention every word of the book
 * (API reference, Behaviour across versions, Build report, Claims), crowd the
 * top. Two corrections, both from what the pages themselves declare:
 *
 * - a page gains for each word of the query that appears in its own index
 *   entries (the {index} directives a chapter carries for what it explains),
 *   so "weight decay pad row" reaches the page indexed under "weight decay"
 *   and "pad row";
 * - the reference pages lose a little, so a chapter that explains a word comes
 *   before the reference that lists it.
 *
 * The default weights stay as Sphinx sets them.
 */
"use strict";

var Scorer = {
  score: (result) => {
    const [docname, , , , score] = result;
    const gain = PadguideSearch.indexGain(docname);
    const loss = PadguideSearch.REFERENCE.has(docname) ? 3 : 0;
    return score + gain - loss;
  },
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: { 0: 15, 1: 5, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};

const PadguideSearch = {
  REFERENCE: new Set(["api", "claims", "versions", "build-report", "genindex"]),
  // Points per query word found among a page's index entries.
  PER_WORD: 10,
  _words: null,
  _query: null,

  _stem(word) {
    return new Stemmer().stemWord(word.toLowerCase());
  },

  _split(text) {
    return text.toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter((w) => w.length > 1);
  },

  // docname -> set of stemmed words of its index entries
  _indexWords() {
    if (this._words === null) {
      this._words = new Map();
      const index = Search._index;
      for (const [entry, places] of Object.entries(index.indexentries || {})) {
        const words = this._split(entry).map((w) => this._stem(w));
        for (const [file] of places) {
          const docname = index.docnames[file];
          if (!this._words.has(docname)) this._words.set(docname, new Set());
          words.forEach((w) => this._words.get(docname).add(w));
        }
      }
    }
    return this._words;
  },

  _queryWords() {
    if (this._query === null) {
      const query = new URLSearchParams(window.location.search).get("q") || "";
      this._query = [...new Set(this._split(query).map((w) => this._stem(w)))];
    }
    return this._query;
  },

  indexGain(docname) {
    const words = this._indexWords().get(docname);
    if (!words) return 0;
    return this.PER_WORD * this._queryWords().filter((w) => words.has(w)).length;
  },
};
