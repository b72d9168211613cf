/**
 * How deep a YAML text nests, measured before it is parsed. The yaml library composes and
 * converts a document recursively: nested a thousand levels deep it runs out of stack, and
 * where V8 then happens to compile a regular expression at the edge of the stack it does
 * not throw but ends the process ("RegExpCompiler Allocation failed - process out of
 * memory"), which no `catch` can stop. So a text is refused before parsing when it may nest
 * more than MAX_YAML_DEPTH levels, using yaml's own lexer (a state machine, no recursion):
 * flow collections (`[` and `{`) count one level each, and a block line counts its
 * indentation columns plus its `-`, `?` and `:` indicators, which bounds the block nesting
 * it can open. Quoted and block scalars are skipped, so brackets in a shell command do not count.
 */
import { CST, Lexer } from 'yaml';

/** Far beyond any real pipeline or manifest (a deep one reaches about 40), far below the stack's limit. */
export const MAX_YAML_DEPTH = 256;

export interface DepthExcess {
  /** 1-based, where the limit is passed. */
  line: number;
  column: number;
  depth: number;
}

/** Where `text` first nests beyond `limit` levels (as bounded above), or undefined when it stays within. */
export function yamlTooDeepAt(text: string, limit = MAX_YAML_DEPTH): DepthExcess | undefined {
  let line = 1;
  let lineStart = 0;
  let offset = 0;
  let flow = 0;
  let block = 0;
  let atLineStart = true;
  let scalarNext = false;
  for (const token of new Lexer().lex(text)) {
    const at = offset;
    // The lexer's markers (a document starts, a scalar follows, a flow ends) are not in the text.
    if (token === CST.DOCUMENT || token === CST.FLOW_END || token === CST.SCALAR) {
      if (token === CST.SCALAR) scalarNext = true;
      continue;
    }
    offset += token.length;
    if (scalarNext) {
      // The content of a plain or block scalar: text, whatever characters it holds.
      scalarNext = false;
      countLines(token);
      continue;
    }
    const type = CST.tokenType(token);
    if (type === 'newline') {
      line++;
      lineStart = offset;
      block = 0;
      atLineStart = true;
      continue;
    }
    if (type === 'space' && atLineStart && flow === 0) block += token.length;
    atLineStart = false;
    if (type === 'flow-seq-start' || type === 'flow-map-start') flow++;
    else if ((type === 'flow-seq-end' || type === 'flow-map-end') && flow > 0) flow--;
    else if (flow === 0 && (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind')) block++;
    else if (type === 'double-quoted-scalar' || type === 'single-quoted-scalar') countLines(token);
    if (flow + block > limit) return { line, column: at - lineStart + 1, depth: flow + block };
  }
  return undefined;

  // A multi-line scalar moves the line on without a newline token of its own.
  function countLines(token: string): void {
    for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) {
      line++;
      lineStart = offset - token.length + i + 1;
    }
    if (token.endsWith('\n')) {
      block = 0;
      atLineStart = true;
    }
  }
}
