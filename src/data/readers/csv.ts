/**
 * RFC 4180 records: fields separated by commas, a field may be quoted, a quote inside a quoted field is
 * doubled, and a quoted field may span lines (the line splitter hands lines in; `createCsvRecordJoiner`
 * joins those that belong to one record).
 */

/**
 * The fields of one CSV record, or an error message when a quoted field is not closed properly.
 * @example parseCsvRecord('1,"Misérables, Les (1995)",Drama') // ['1', 'Misérables, Les (1995)', 'Drama']
 */
export function parseCsvRecord(text: string): string[] | { error: string } {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return { error: `unterminated quoted field starting at column ${i + 1}` };
        value += text.slice(from, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (text.charCodeAt(i) !== 44)
        return { error: `unexpected character after quoted field at column ${i + 1}` };
      i++;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** Whether a record's text leaves a quoted field open (an odd number of quote characters). */
export function hasOpenQuote(text: string): boolean {
  let quotes = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) quotes++;
  return quotes % 2 === 1;
}

/**
 * Joins physical lines into CSV records: a line that leaves a quote open continues on the next line.
 * `flush()` returns a record still open at the end of the file.
 * @example const j = createCsvRecordJoiner(); j.push('1,"a', 1); j.push('b",c', 2) // { text: '1,"a\nb",c', line: 1 }
 */
export function createCsvRecordJoiner(): {
  push(line: string, lineNo: number): { text: string; line: number } | null;
  flush(): { text: string; line: number } | null;
} {
  let pending: string | null = null;
  let pendingLine = 0;
  return {
    push(line, lineNo) {
      const text: string = pending === null ? line : `${pending}\n${line}`;
      const first = pending === null ? lineNo : pendingLine;
      if (hasOpenQuote(text)) {
        pending = text;
        pendingLine = first;
        return null;
      }
      pending = null;
      return { text, line: first };
    },
    flush() {
      if (pending === null) return null;
      const out = { text: pending, line: pendingLine };
      pending = null;
      return out;
    },
  };
}

/**
 * Formats one CSV field, quoting it when it holds a comma, a quote or a line break (as MovieLens does).
 * @example csvField('Misérables, Les (1995)') // '"Misérables, Les (1995)"'
 */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
