// Syntax highlighting: a small table-driven tokenizer, one line at a time with a state carried
// across lines (block comments, multi-line strings), and a renderer that lays match marks on
// top of the tokens. Everything goes out through esc(): no untrusted text reaches innerHTML raw.
//
// Honest limits: it knows comments, strings, numbers, keywords, types, constants, preprocessor
// lines and a few language quirks (Rust lifetimes, shell variables, decorators). It does not
// parse; a snippet that starts inside a block comment is highlighted as code.

import { esc } from './util.js';

const words = (s) => new Set(s.split(/\s+/).filter(Boolean));

const C_KW = 'auto break case const continue default do else enum extern for goto if inline register restrict return sizeof static struct switch typedef union volatile while _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert _Thread_local asm typeof __attribute__ __asm__ __inline__ __volatile__';
const C_TYPES = 'void char short int long float double signed unsigned _Bool bool size_t ssize_t ptrdiff_t intptr_t uintptr_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t u8 u16 u32 u64 s8 s16 s32 s64 FILE wchar_t';
const C_CONST = 'NULL true false EOF stdin stdout stderr';
const CPP_KW = C_KW + ' alignas alignof and bitand bitor catch class compl concept consteval constexpr constinit co_await co_return co_yield decltype delete explicit export friend mutable namespace new noexcept not operator or override final private protected public requires static_assert static_cast dynamic_cast reinterpret_cast const_cast template this thread_local throw try typeid typename using virtual xor';
const CPP_TYPES = C_TYPES + ' std string vector map set unique_ptr shared_ptr auto nullptr_t char8_t char16_t char32_t';
const JS_KW = 'async await break case catch class const continue debugger default delete do else export extends finally for from function get if import in instanceof let new of return set static super switch this throw try typeof var void while with yield as';
const JS_CONST = 'true false null undefined NaN Infinity';
const TS_KW = JS_KW + ' abstract declare enum implements interface keyof namespace private protected public readonly type satisfies infer is asserts module override';
const TS_TYPES = 'any boolean never number object string symbol unknown void bigint Array Promise Record Partial Readonly Map Set';
const RUST_KW = 'as async await break const continue crate dyn else enum extern fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait type union unsafe use where while yield macro_rules';
const RUST_TYPES = 'bool char str u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64 String Vec Option Result Box Rc Arc Cell RefCell HashMap HashSet BTreeMap BTreeSet';
const RUST_CONST = 'true false None Some Ok Err';
const GO_KW = 'break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var';
const GO_TYPES = 'bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any comparable';
const GO_CONST = 'true false nil iota append cap close copy delete len make new panic print println recover';
const PY_KW = 'and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case';
const PY_TYPES = 'int float str bytes bool list dict set tuple object type complex frozenset bytearray';
const PY_CONST = 'True False None self cls print len range isinstance super';
const JAVA_KW = 'abstract assert break case catch class const continue default do else enum extends final finally for goto if implements import instanceof interface native new package private protected public return static strictfp super switch synchronized this throw throws transient try volatile while var record sealed permits yield';
const JAVA_TYPES = 'boolean byte char double float int long short void String Object Integer Long List Map Set';
const SH_KW = 'if then else elif fi case esac for select while until do done in function time coproc return exit break continue local export readonly declare typeset unset shift source alias set trap eval exec';
const SH_BUILTIN = 'echo printf read cd pwd test true false';
const CS_KW = 'abstract as base break case catch checked class const continue default delegate do else enum event explicit extern finally fixed for foreach goto if implicit in interface internal is lock namespace new operator out override params private protected public readonly ref return sealed sizeof stackalloc static struct switch this throw try typeof unchecked unsafe using virtual volatile while async await var get set init record yield';
const RUBY_KW = 'alias and begin break case class def defined? do else elsif end ensure for if in module next not or redo rescue retry return self super then undef unless until when while yield require attr_accessor attr_reader puts';
const PHP_KW = 'abstract and array as break callable case catch class clone const continue declare default do echo else elseif empty enddeclare endfor endforeach endif endswitch endwhile extends final finally fn for foreach function global goto if implements include include_once instanceof insteadof interface isset list match namespace new or print private protected public readonly require require_once return static switch throw trait try unset use var while xor yield';
const SQL_KW = 'select from where insert into values update set delete create table drop alter add column index view primary key foreign references not null and or in is like between join inner left right outer full on as group by order having limit offset union all distinct case when then else end exists default constraint unique check begin commit rollback transaction returning with';
const SQL_TYPES = 'int integer bigint smallint text varchar char boolean date timestamp real float double numeric decimal blob serial';
const LUA_KW = 'and break do else elseif end for function goto if in local not or repeat return then until while';
const KOTLIN_KW = 'as break class continue do else for fun if in interface is object package return super this throw try typealias val var when while by catch constructor data enum finally import init internal open override private protected public sealed suspend companion lateinit';
const SWIFT_KW = 'associatedtype class deinit enum extension fileprivate func import init inout internal let open operator private protocol public static struct subscript typealias var break case continue default defer do else fallthrough for guard if in repeat return switch where while as catch is rethrows throw throws try async await';
const HS_KW = 'case class data default deriving do else foreign if import in infix infixl infixr instance let module newtype of then type where';
const ZIG_KW = 'const var fn pub return if else while for switch break continue defer errdefer try catch struct enum union error comptime inline export extern test unreachable orelse and or';
const MAKE_KW = 'ifeq ifneq ifdef ifndef else endif include define endef export override';

const NUM = /(?:0[xX][\da-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)[a-zA-Z\d_]*/y;
const IDENT = /[\p{L}_$][\p{L}\p{N}_$]*/uy;
const IDENT_NO_DOLLAR = /[\p{L}_][\p{L}\p{N}_]*/uy;

const DQ = { open: '"', close: '"' };
const SQ = { open: "'", close: "'" };
const BT = { open: '`', close: '`', multiline: true };

// A language: comments, strings (longest opener first), word lists, and extra sticky rules
// tried first at every position: [regex with the y flag, class].
const C_LIKE = {
  line: ['//'], block: [['/*', '*/']], strings: [DQ, SQ], pp: true,
  kw: words(C_KW), types: words(C_TYPES), consts: words(C_CONST),
  extra: [[/<[\w.\/+-]+\.h(?:pp|h|xx)?>/y, 'str']], // #include <stdio.h>
};
const LANGS = {
  c: C_LIKE,
  cpp: { ...C_LIKE, kw: words(CPP_KW), types: words(CPP_TYPES), consts: words(C_CONST + ' nullptr this') },
  cs: { ...C_LIKE, pp: true, kw: words(CS_KW), types: words('bool byte char decimal double float int long object sbyte short string uint ulong ushort void dynamic'), consts: words('true false null') },
  java: { line: ['//'], block: [['/*', '*/']], strings: [{ open: '"""', close: '"""', multiline: true }, DQ, SQ],
    kw: words(JAVA_KW), types: words(JAVA_TYPES), consts: words('true false null'), extra: [[/@[\w.]+/y, 'meta']] },
  kotlin: { line: ['//'], block: [['/*', '*/']], strings: [{ open: '"""', close: '"""', multiline: true }, DQ, SQ],
    kw: words(KOTLIN_KW), types: words('Int Long Short Byte Double Float Boolean Char String Unit Any Nothing List Map Set Array'), consts: words('true false null'), extra: [[/@[\w.]+/y, 'meta']] },
  swift: { line: ['//'], block: [['/*', '*/']], strings: [{ open: '"""', close: '"""', multiline: true }, DQ],
    kw: words(SWIFT_KW), types: words('Int Double Float Bool String Character Array Dictionary Set Optional Any Self Void'), consts: words('true false nil self'), extra: [[/@\w+/y, 'meta']] },
  js: { line: ['//'], block: [['/*', '*/']], strings: [DQ, SQ, BT], kw: words(JS_KW), types: new Set(), consts: words(JS_CONST) },
  ts: { line: ['//'], block: [['/*', '*/']], strings: [DQ, SQ, BT], kw: words(TS_KW), types: words(TS_TYPES), consts: words(JS_CONST), extra: [[/@\w+/y, 'meta']] },
  rust: { line: ['//'], block: [['/*', '*/']], strings: [DQ], kw: words(RUST_KW), types: words(RUST_TYPES), consts: words(RUST_CONST),
    extra: [
      [/r(#*)"/y, 'raw'], // raw strings: handled specially in tokenize
      [/b?'(?:\\(?:x[\da-fA-F]{2}|u\{[\da-fA-F]+\}|.)|[^\\'])'/uy, 'str'], // char literals
      [/'[\p{L}_][\p{L}\p{N}_]*/uy, 'lifetime'],
      [/#!?\[[^\]]*\]?/y, 'meta'],
      [/[\p{L}_][\p{L}\p{N}_]*!/uy, 'macro'],
    ] },
  go: { line: ['//'], block: [['/*', '*/']], strings: [DQ, SQ, BT], kw: words(GO_KW), types: words(GO_TYPES), consts: words(GO_CONST) },
  zig: { line: ['//'], block: [], strings: [DQ, SQ], kw: words(ZIG_KW), types: words('u8 u16 u32 u64 usize i8 i16 i32 i64 isize f32 f64 bool void type anyerror anytype'), consts: words('true false null undefined'), extra: [[/@\w+/y, 'fn']] },
  python: { line: ['#'], block: [], strings: [
    { open: '"""', close: '"""', multiline: true }, { open: "'''", close: "'''", multiline: true }, DQ, SQ],
    prefixes: /[rRbBuUfF]{1,2}(?=["'])/y,
    kw: words(PY_KW), types: words(PY_TYPES), consts: words(PY_CONST), extra: [[/@[\w.]+/y, 'meta']] },
  ruby: { line: ['#'], block: [['=begin', '=end']], strings: [DQ, SQ], kw: words(RUBY_KW), types: new Set(), consts: words('true false nil'), extra: [[/:[a-zA-Z_]\w*/y, 'const'], [/@@?\w+/y, 'var']] },
  php: { line: ['//', '#'], block: [['/*', '*/']], strings: [DQ, SQ], kw: words(PHP_KW), types: words('int float bool string array object mixed void null'), consts: words('true false null TRUE FALSE NULL'), extra: [[/\$\w+/y, 'var'], [/<\?php|\?>/y, 'meta']], ci: true },
  shell: { line: ['#'], block: [], strings: [DQ, SQ], noDollarIdent: true,
    kw: words(SH_KW), types: new Set(), consts: words(SH_BUILTIN),
    extra: [[/\$\{[^}]*\}|\$\(|\$[\w@#?*!$-]/y, 'var'], [/#!.*/y, 'meta', 'col0']] },
  perl: { line: ['#'], block: [], strings: [DQ, SQ], noDollarIdent: true, kw: words('my our local sub if elsif else unless while until for foreach do last next redo return use require package no and or not eq ne lt gt le ge cmp print'), types: new Set(), consts: new Set(), extra: [[/[$@%][\w:]+/y, 'var']] },
  sql: { line: ['--'], block: [['/*', '*/']], strings: [SQ, DQ], kw: words(SQL_KW), types: words(SQL_TYPES), consts: words('true false null'), ci: true },
  lua: { line: ['--'], block: [['--[[', ']]']], strings: [DQ, SQ], kw: words(LUA_KW), types: new Set(), consts: words('true false nil self') },
  haskell: { line: ['--'], block: [['{-', '-}']], strings: [DQ], kw: words(HS_KW), types: new Set(), consts: words('True False Nothing Just') },
  lisp: { line: [';'], block: [['#|', '|#']], strings: [DQ], kw: words('defun defmacro defvar defparameter defn def let let* lambda if cond when unless progn setq setf define loop fn ns require quote'), types: new Set(), consts: words('nil t true false') },
  erlang: { line: ['%'], block: [], strings: [DQ], kw: words('after begin case catch cond end fun if let of receive try when module export import define record'), types: new Set(), consts: words('true false ok undefined') },
  tex: { line: ['%'], block: [], strings: [], kw: new Set(), types: new Set(), consts: new Set(), extra: [[/\\[a-zA-Z@]+/y, 'kw']] },
  make: { line: ['#'], block: [], strings: [DQ, SQ], kw: words(MAKE_KW), types: new Set(), consts: new Set(), extra: [[/\$\([^)]*\)|\$\{[^}]*\}|\$[@<^?*%]/y, 'var']] },
  markup: { line: [], block: [['<!--', '-->']], strings: [DQ, SQ], kw: new Set(), types: new Set(), consts: new Set(), noIdent: true,
    extra: [[/<\/?[A-Za-z][\w:.-]*|\/?>/y, 'kw'], [/&[#\w]+;/y, 'const'], [/[\w:-]+(?==)/y, 'type']] },
  css: { line: [], block: [['/*', '*/']], strings: [DQ, SQ], kw: words('important media import supports keyframes font-face'), types: new Set(), consts: new Set(),
    extra: [[/#[\da-fA-F]{3,8}\b/y, 'num'], [/[\w-]+(?=\s*:)/y, 'type'], [/[@$][\w-]+/y, 'kw']] },
  json: { line: ['//'], block: [['/*', '*/']], strings: [DQ], kw: new Set(), types: new Set(), consts: words('true false null'), extra: [[/"(?:\\.|[^"\\])*"(?=\s*:)/y, 'type']] },
  yaml: { line: ['#'], block: [], strings: [DQ, SQ], kw: new Set(), types: new Set(), consts: words('true false null yes no on off'), extra: [[/(?:-\s+)?[\w.\/-]+(?=\s*:(?:\s|$))/y, 'type', 'bol'], [/---|\.\.\./y, 'meta', 'col0']] },
  toml: { line: ['#'], block: [], strings: [{ open: '"""', close: '"""', multiline: true }, DQ, SQ], kw: new Set(), types: new Set(), consts: words('true false'), extra: [[/\[\[?[^\]]*\]\]?/y, 'kw', 'bol'], [/[\w.-]+(?=\s*=)/y, 'type', 'bol']] },
  ini: { line: [';', '#'], block: [], strings: [DQ], kw: new Set(), types: new Set(), consts: words('true false'), extra: [[/\[[^\]]*\]/y, 'kw', 'bol'], [/[\w.-]+(?=\s*=)/y, 'type', 'bol']] },
  hash: { line: ['#'], block: [], strings: [DQ, SQ], kw: words('if else elif end for while in do function return import include def set let'), types: new Set(), consts: words('true false null nil None True False') },
  dash: { line: ['--'], block: [], strings: [DQ, SQ], kw: words('begin end if then else elsif case when is procedure function package return loop for while entity architecture signal process port module where let in of type data'), types: new Set(), consts: words('true false null') },
  asm: { line: [';', '#', '//', '@'], block: [['/*', '*/']], strings: [DQ, SQ], pp: true, kw: new Set(), types: new Set(), consts: new Set(), extra: [[/[\w.$]+:/y, 'fn', 'bol'], [/%\w+/y, 'var'], [/\.\w+/y, 'kw', 'bol']] },
  markdown: { line: [], block: [['<!--', '-->']], strings: [BT], kw: new Set(), types: new Set(), consts: new Set(), noIdent: true, noNum: true,
    extra: [[/#{1,6}\s.*/y, 'kw', 'col0'], [/(?:[-*+]|\d+\.)\s/y, 'meta', 'bol'], [/\*\*[^*]+\*\*|__[^_]+__/y, 'type'], [/\[[^\]]*\]\([^)]*\)/y, 'str']] },
  diff: { line: [], block: [], strings: [], kw: new Set(), types: new Set(), consts: new Set(), noIdent: true, noNum: true,
    extra: [[/(?:\+\+\+|---) .*/y, 'meta', 'col0'], [/@@.*/y, 'meta', 'col0'], [/\+.*/y, 'ins', 'col0'], [/-.*/y, 'del', 'col0'], [/diff .*/y, 'kw', 'col0']] },
  plain: { line: [], block: [], strings: [], kw: new Set(), types: new Set(), consts: new Set(), noIdent: true, noNum: true },
  generic: { line: ['//', '#'], block: [['/*', '*/']], strings: [DQ, SQ], kw: new Set(), types: new Set(), consts: words('true false null nil None') },
};
LANGS.java.pp = false;

// The server's language names (quarry-lang) to a grammar.
const BY_NAME = {
  'C': 'c', 'Objective-C': 'c', 'Cuda': 'cpp', 'GLSL': 'c', 'HLSL': 'c', 'C++': 'cpp', 'Objective-C++': 'cpp',
  'C#': 'cs', 'Java': 'java', 'Groovy': 'java', 'Gradle': 'java', 'Scala': 'kotlin', 'Kotlin': 'kotlin', 'Dart': 'java',
  'Swift': 'swift', 'D': 'cpp', 'Solidity': 'js', 'Vala': 'cs', 'Haxe': 'js', 'Protocol Buffer': 'cpp', 'Thrift': 'cpp',
  'JavaScript': 'js', 'CoffeeScript': 'hash', 'TypeScript': 'ts', 'TSX': 'ts', 'Vue': 'markup', 'Svelte': 'markup',
  'Rust': 'rust', 'Go': 'go', 'Go Module': 'go', 'Go Workspace': 'go', 'Zig': 'zig',
  'Python': 'python', 'Starlark': 'python', 'Cython': 'python', 'Ruby': 'ruby', 'Crystal': 'ruby', 'PHP': 'php',
  'Shell': 'shell', 'fish': 'shell', 'Tcsh': 'shell', 'Nushell': 'shell', 'PowerShell': 'shell', 'Dockerfile': 'shell',
  'Dotenv': 'shell', 'BitBake': 'shell', 'Just': 'make', 'Makefile': 'make', 'Perl': 'perl', 'Raku': 'perl',
  'SQL': 'sql', 'Lua': 'lua', 'Haskell': 'haskell', 'Elm': 'haskell', 'PureScript': 'haskell',
  'Ada': 'dash', 'VHDL': 'dash', 'Emacs Lisp': 'lisp', 'Common Lisp': 'lisp', 'Scheme': 'lisp', 'Racket': 'lisp',
  'Clojure': 'lisp', 'Erlang': 'erlang', 'Prolog': 'erlang', 'MATLAB': 'erlang', 'TeX': 'tex', 'BibTeX': 'tex',
  'HTML': 'markup', 'XML': 'markup', 'SVG': 'markup', 'XSLT': 'markup', 'Handlebars': 'markup', 'HTML+ERB': 'markup',
  'HTML+Razor': 'markup', 'Jinja': 'markup', 'Twig': 'markup', 'CSS': 'css', 'SCSS': 'css', 'Less': 'css', 'Sass': 'css', 'Stylus': 'css',
  'JSON': 'json', 'JSON5': 'json', 'JSON with Comments': 'json', 'Jupyter Notebook': 'json',
  'YAML': 'yaml', 'TOML': 'toml', 'INI': 'ini', 'Git Config': 'ini', 'EditorConfig': 'ini', 'Java Properties': 'ini',
  'Assembly': 'asm', 'Linker Script': 'c', 'Device Tree': 'c', 'Lex': 'c', 'Yacc': 'c', 'Verilog': 'c', 'SystemVerilog': 'c',
  'Markdown': 'markdown', 'Diff': 'diff', 'Text': 'plain', 'CSV': 'plain', 'TSV': 'plain', 'Go Checksums': 'plain',
  'CMake': 'hash', 'Meson': 'python', 'Nix': 'hash', 'HCL': 'generic', 'Nim': 'hash', 'Julia': 'hash', 'R': 'hash',
  'Elixir': 'ruby', 'Tcl': 'hash', 'Awk': 'hash', 'sed': 'hash', 'Kconfig': 'hash', 'Ignore List': 'hash',
  'Git Attributes': 'hash', 'Pip Requirements': 'hash', 'Puppet': 'hash', 'Gnuplot': 'hash', 'QMake': 'hash',
  'Nginx': 'hash', 'Jsonnet': 'generic', 'GraphQL': 'hash', 'Ninja': 'hash', 'OCaml': 'generic', 'F#': 'generic',
  'Standard ML': 'generic', 'Fortran': 'generic', 'Pascal': 'generic', 'Batchfile': 'generic', 'Vim Script': 'generic',
};

export function grammarFor(language) {
  return LANGS[BY_NAME[language] || ''] || LANGS.generic;
}

function isIdentChar(ch) {
  return ch !== undefined && /[\p{L}\p{N}_$]/u.test(ch);
}

// Tokenizes one line. state is null or what the previous line left open:
// {close, cls, escape}. Returns {tokens: [[start, end, cls], ...], state}; offsets are
// UTF-16 indexes into line.
export function tokenizeLine(line, g, state) {
  const tokens = [];
  const n = line.length;
  let i = 0;
  const push = (s, e, cls) => { if (e > s) tokens.push([s, e, cls]); };

  // Continues an open comment or string; returns the index after its close, or -1.
  const closeOf = (from, close, escape) => {
    let j = from;
    for (;;) {
      const k = line.indexOf(close, j);
      if (k < 0) return -1;
      if (escape) {
        let bs = 0;
        for (let b = k - 1; b >= from && line[b] === '\\'; b--) bs++;
        if (bs % 2 === 1) { j = k + 1; continue; }
      }
      return k + close.length;
    }
  };

  if (state) {
    const end = closeOf(0, state.close, state.escape);
    if (end < 0) { push(0, n, state.cls); return { tokens, state }; }
    push(0, end, state.cls);
    i = end;
    state = null;
  }

  if (g.pp) {
    const m = /^\s*#\s*[a-zA-Z_]\w*/y;
    m.lastIndex = i;
    if (i === 0 && m.exec(line)) { push(i, m.lastIndex, 'pp'); i = m.lastIndex; }
  }

  const firstNonSpace = line.search(/\S/);
  const identRe = g.noDollarIdent ? IDENT_NO_DOLLAR : IDENT;
  outer:
  while (i < n) {
    const ch = line[i];
    if (ch === ' ' || ch === '\t') { i++; continue; }

    if (g.extra) {
      for (const [re, cls, where] of g.extra) {
        if (where === 'col0' ? i !== 0 : where === 'bol' ? i !== firstNonSpace : false) continue;
        re.lastIndex = i;
        const m = re.exec(line);
        if (m && re.lastIndex > i) {
          if (cls === 'raw') { // Rust r#"..."#
            const close = '"' + m[1];
            const end = closeOf(re.lastIndex, close, false);
            if (end < 0) { push(i, n, 'str'); return { tokens, state: { close, cls: 'str', escape: false } }; }
            push(i, end, 'str'); i = end; continue outer;
          }
          push(i, re.lastIndex, cls); i = re.lastIndex; continue outer;
        }
      }
    }
    for (const lc of g.line) {
      if (line.startsWith(lc, i)) { push(i, n, 'com'); return { tokens, state: null }; }
    }
    for (const [open, close] of g.block) {
      if (line.startsWith(open, i)) {
        const end = closeOf(i + open.length, close, false);
        if (end < 0) { push(i, n, 'com'); return { tokens, state: { close, cls: 'com', escape: false } }; }
        push(i, end, 'com'); i = end; continue outer;
      }
    }
    let start = i;
    if (g.prefixes) {
      g.prefixes.lastIndex = i;
      if (g.prefixes.exec(line) && !isIdentChar(line[i - 1])) i = g.prefixes.lastIndex;
    }
    for (const s of g.strings) {
      if (line.startsWith(s.open, i)) {
        const end = closeOf(i + s.open.length, s.close, true);
        if (end < 0) {
          push(start, n, 'str');
          return { tokens, state: s.multiline ? { close: s.close, cls: 'str', escape: true } : null };
        }
        push(start, end, 'str'); i = end; continue outer;
      }
    }
    i = start;
    const code = ch.charCodeAt(0);
    if (!g.noNum && ((code >= 48 && code <= 57) || (ch === '.' && /\d/.test(line[i + 1] || ''))) && !isIdentChar(line[i - 1])) {
      NUM.lastIndex = i;
      if (NUM.exec(line)) { push(i, NUM.lastIndex, 'num'); i = NUM.lastIndex; continue; }
    }
    if (!g.noIdent) {
      identRe.lastIndex = i;
      const m = identRe.exec(line);
      if (m) {
        const w = m[0];
        const key = g.ci ? w.toLowerCase() : w;
        const end = identRe.lastIndex;
        let cls = null;
        if (g.kw.has(key)) cls = 'kw';
        else if (g.types.has(key)) cls = 'type';
        else if (g.consts.has(key)) cls = 'const';
        else if (line[end] === '(') cls = 'fn';
        if (cls) push(i, end, cls);
        i = end;
        continue;
      }
    }
    i++;
  }
  return { tokens, state };
}

// Converts [start, length] pairs counted in code points to [start, end] UTF-16 indexes.
export function codePointRanges(text, pairs) {
  if (!/[\uD800-\uDFFF]/.test(text)) return pairs.map(([s, l]) => [s, s + l]);
  const map = []; // code point index -> UTF-16 index
  let u = 0;
  for (const ch of text) { map.push(u); u += ch.length; }
  map.push(u);
  const at = (cp) => map[Math.min(cp, map.length - 1)];
  return pairs.map(([s, l]) => [at(s), at(s + l)]);
}

// Renders text with token classes and <mark>s; marks are [start, end] UTF-16 ranges.
// Marks wrap the token spans (never the other way round), so each mark holds the whole match.
export function renderLine(text, tokens, marks) {
  marks = (marks || []).filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  if (!marks.length) { // fast path (the file view): tokens are sorted and disjoint
    let out = '';
    let at = 0;
    for (const [s, e, cls] of tokens) {
      if (s > at) out += esc(text.slice(at, s));
      out += `<span class="tok-${cls}">${esc(text.slice(s, e))}</span>`;
      at = e;
    }
    return at < text.length ? out + esc(text.slice(at)) : out;
  }
  const cuts = new Set([0, text.length]);
  for (const [s, e] of tokens) { cuts.add(s); cuts.add(e); }
  for (const [s, e] of marks) { cuts.add(Math.min(s, text.length)); cuts.add(Math.min(e, text.length)); }
  const points = [...cuts].sort((a, b) => a - b);
  let out = '';
  let ti = 0;
  let mi = 0;
  let inMark = false;
  for (let p = 0; p + 1 < points.length; p++) {
    const s = points[p];
    const e = points[p + 1];
    while (ti < tokens.length && tokens[ti][1] <= s) ti++;
    while (mi < marks.length && marks[mi][1] <= s) mi++;
    const cls = ti < tokens.length && tokens[ti][0] <= s ? tokens[ti][2] : null;
    const marked = mi < marks.length && marks[mi][0] <= s;
    if (marked && !inMark) { out += '<mark>'; inMark = true; }
    if (!marked && inMark) { out += '</mark>'; inMark = false; }
    const t = esc(text.slice(s, e));
    out += cls ? `<span class="tok-${cls}">${t}</span>` : t;
    // A mark that ends here and another that starts here stay separate elements.
    if (inMark && marks[mi] && marks[mi][1] === e) { out += '</mark>'; inMark = false; }
  }
  if (inMark) out += '</mark>';
  return out;
}

// Highlights one isolated line (a search result snippet).
export function highlightLine(text, language, marks) {
  const { tokens } = tokenizeLine(text, grammarFor(language), null);
  return renderLine(text, tokens, marks);
}

// A stateful highlighter for consecutive lines of one file.
export function fileHighlighter(language) {
  const g = grammarFor(language);
  let state = null;
  return (text) => {
    const r = tokenizeLine(text, g, state);
    state = r.state;
    return renderLine(text, r.tokens, null);
  };
}
