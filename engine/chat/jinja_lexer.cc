#include "engine/chat/jinja_lexer.h"

#include <array>
#include <utility>

#include "engine/chat/jinja_unicode.h"

namespace engine::jinja {
namespace {

// Preprocessed text plus, for each byte, its offset in the original source.
struct MappedText {
  std::string text;
  std::vector<uint32_t> origin;  // origin.size() == text.size() + 1

  void Append(const MappedText& from, size_t begin, size_t end) {
    text.append(from.text, begin, end - begin);
    origin.insert(origin.end() - 1, from.origin.begin() + static_cast<ptrdiff_t>(begin),
                  from.origin.begin() + static_cast<ptrdiff_t>(end));
  }
  static MappedText StartLike(const MappedText& from) {
    MappedText m;
    m.origin.push_back(from.origin.back());
    return m;
  }
};

bool IsBlockMarker(char c) { return c == '#' || c == '%' || c == '-'; }

bool EndsLine(const std::string& t, size_t i) {
  if (t[i] == '\n' || t[i] == '\r') return true;
  // U+2028 / U+2029 (E2 80 A8 / E2 80 A9) also end a line for a JS /m regex.
  return i >= 2 && static_cast<unsigned char>(t[i - 2]) == 0xE2 &&
         static_cast<unsigned char>(t[i - 1]) == 0x80 &&
         (static_cast<unsigned char>(t[i]) == 0xA8 || static_cast<unsigned char>(t[i]) == 0xA9);
}

// /^[ \t]*({[#%-])/gm -> "$1"
MappedText LstripBlocks(const MappedText& in) {
  MappedText out = MappedText::StartLike(in);
  const std::string& t = in.text;
  bool line_start = true;
  for (size_t i = 0; i < t.size();) {
    if (line_start) {
      line_start = false;
      size_t j = i;
      while (j < t.size() && (t[j] == ' ' || t[j] == '\t')) ++j;
      if (j + 1 < t.size() && t[j] == '{' && IsBlockMarker(t[j + 1])) {
        i = j;
        continue;
      }
    }
    out.Append(in, i, i + 1);
    line_start = EndsLine(t, i);
    ++i;
  }
  return out;
}

// /([#%-]})\n/g -> "$1"
MappedText TrimBlocks(const MappedText& in) {
  MappedText out = MappedText::StartLike(in);
  const std::string& t = in.text;
  for (size_t i = 0; i < t.size();) {
    if (i + 2 < t.size() && IsBlockMarker(t[i]) && t[i + 1] == '}' && t[i + 2] == '\n') {
      out.Append(in, i, i + 2);
      i += 3;
    } else {
      out.Append(in, i, i + 1);
      ++i;
    }
  }
  return out;
}

// Matches `{%-? (end)?generation -?%}` at `start`; returns the end offset or 0.
size_t MatchGenerationTag(std::string_view t, size_t start, bool* strip_before, bool* strip_after) {
  size_t p = start + 2;
  *strip_before = p < t.size() && t[p] == '-';
  if (*strip_before) ++p;
  while (size_t len = JsWhitespaceLengthAt(t, p)) p += len;
  if (t.substr(p, 13) == "endgeneration") {
    p += 13;
  } else if (t.substr(p, 10) == "generation") {
    p += 10;
  } else {
    return 0;
  }
  while (size_t len = JsWhitespaceLengthAt(t, p)) p += len;
  *strip_after = p < t.size() && t[p] == '-';
  if (*strip_after) ++p;
  if (t.substr(p, 2) != "%}") return 0;
  return p + 2;
}

// transformers' {% generation %} / {% endgeneration %} tags are erased, with
// the surrounding whitespace kept unless the tag strips it with `-`.
MappedText EraseGenerationTags(const MappedText& in) {
  MappedText out = MappedText::StartLike(in);
  std::string_view t = in.text;
  size_t pos = 0;
  for (size_t k = t.find("{%", pos); k != std::string_view::npos; k = t.find("{%", k + 1)) {
    bool strip_before = false, strip_after = false;
    size_t tag_end = MatchGenerationTag(t, k, &strip_before, &strip_after);
    if (tag_end == 0) continue;
    size_t ws_begin = k;
    while (ws_begin > pos) {
      size_t len = JsWhitespaceLengthBefore(t, ws_begin);
      if (len == 0 || ws_begin - len < pos) break;
      ws_begin -= len;
    }
    size_t ws_end = tag_end;
    while (size_t len = JsWhitespaceLengthAt(t, ws_end)) ws_end += len;
    out.Append(in, pos, ws_begin);
    if (!strip_before) out.Append(in, ws_begin, k);
    if (!strip_after) out.Append(in, tag_end, ws_end);
    pos = ws_end;
    k = ws_end - 1;
    if (ws_end >= t.size()) break;
  }
  out.Append(in, pos, t.size());
  return out;
}

MappedText Preprocess(std::string_view source) {
  MappedText m;
  m.text.assign(source);
  m.origin.resize(source.size() + 1);
  for (size_t i = 0; i <= source.size(); ++i) m.origin[i] = static_cast<uint32_t>(i);
  if (!m.text.empty() && m.text.back() == '\n') {
    m.text.pop_back();
    m.origin.pop_back();
  }
  return EraseGenerationTags(TrimBlocks(LstripBlocks(m)));
}

bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(char c) {
  return IsDigitChar(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

constexpr std::array<std::pair<std::string_view, TokenType>, 29> kFixedTokens = {{
    {"{%", TokenType::kOpenStatement},   {"%}", TokenType::kCloseStatement},
    {"{{", TokenType::kOpenExpression},  {"}}", TokenType::kCloseExpression},
    {"(", TokenType::kOpenParen},        {")", TokenType::kCloseParen},
    {"{", TokenType::kOpenCurly},        {"}", TokenType::kCloseCurly},
    {"[", TokenType::kOpenSquare},       {"]", TokenType::kCloseSquare},
    {",", TokenType::kComma},            {".", TokenType::kDot},
    {":", TokenType::kColon},            {"|", TokenType::kPipe},
    {"<=", TokenType::kComparison},      {">=", TokenType::kComparison},
    {"==", TokenType::kComparison},      {"!=", TokenType::kComparison},
    {"<", TokenType::kComparison},       {">", TokenType::kComparison},
    {"+", TokenType::kAdditive},         {"-", TokenType::kAdditive},
    {"~", TokenType::kAdditive},         {"**", TokenType::kExponent},
    {"*", TokenType::kMultiplicative},   {"//", TokenType::kMultiplicative},
    {"/", TokenType::kMultiplicative},   {"%", TokenType::kMultiplicative},
    {"=", TokenType::kEquals},
}};

class Lexer {
 public:
  Lexer(std::string_view source, MappedText mapped)
      : source_(source), mapped_(std::move(mapped)), src_(mapped_.text) {}

  base::Result<std::vector<Token>> Run();

 private:
  base::Status Error(const std::string& message) const {
    size_t at = pos_ < mapped_.origin.size() ? pos_ : mapped_.origin.size() - 1;
    return base::InvalidArgument("syntax error at " + SourcePosition(source_, mapped_.origin[at]) +
                                 ": " + message);
  }
  char At(size_t i) const { return i < src_.size() ? src_[i] : '\0'; }
  bool LastIs(TokenType type) const { return !tokens_.empty() && tokens_.back().type == type; }
  void Push(TokenType type, std::string value, size_t start) {
    tokens_.push_back({type, std::move(value), mapped_.origin[start]});
  }

  base::Status ConsumeWhile(bool (*pred)(char), std::string* out);
  base::Status ConsumeWhitespace();
  base::Status ConsumeString(char quote, std::string* out);
  base::Status ConsumeEscape(std::string* out, char32_t* pending_high);
  void StripTrailingWhitespace();
  void SkipLeadingWhitespace();
  bool ConsumeText();
  base::Status ConsumeComment();
  base::Result<bool> ConsumeUnary();
  bool ConsumeFixed();

  std::string_view source_;
  MappedText mapped_;
  std::string_view src_;
  size_t pos_ = 0;
  int curly_depth_ = 0;
  std::vector<Token> tokens_;
};

// The reference throws when a token runs to the very end of the input.
base::Status Lexer::ConsumeWhile(bool (*pred)(char), std::string* out) {
  while (pos_ < src_.size() && pred(src_[pos_])) {
    out->push_back(src_[pos_++]);
    if (pos_ >= src_.size()) return Error("unexpected end of input");
  }
  return base::Status();
}

base::Status Lexer::ConsumeWhitespace() {
  while (size_t len = JsWhitespaceLengthAt(src_, pos_)) {
    pos_ += len;
    if (pos_ >= src_.size()) return Error("unexpected end of input");
  }
  return base::Status();
}

base::Status Lexer::ConsumeEscape(std::string* out, char32_t* pending_high) {
  ++pos_;  // the backslash
  if (pos_ >= src_.size()) return Error("unexpected end of input");
  char escaped = src_[pos_++];
  if (escaped == 'x' || escaped == 'u') {
    size_t len = escaped == 'x' ? 2 : 4;
    std::string_view hex = src_.substr(pos_, len);
    uint32_t unit = 0;
    for (char c : hex) {
      int digit = IsDigitChar(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (digit < 0) return Error("invalid hexadecimal escape sequence");
      unit = unit * 16 + static_cast<uint32_t>(digit);
    }
    if (hex.size() != len) return Error("invalid hexadecimal escape sequence");
    pos_ += len;
    if (*pending_high != 0 && unit >= 0xDC00 && unit <= 0xDFFF) {
      AppendUtf8(0x10000 + ((*pending_high - 0xD800) << 10) + (unit - 0xDC00), out);
      *pending_high = 0;
      return base::Status();
    }
    if (*pending_high != 0) AppendUtf8(0xFFFD, out);
    *pending_high = 0;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      *pending_high = unit;
    } else {
      AppendUtf8(unit, out);
    }
    return base::Status();
  }
  static constexpr std::pair<char, char> kEscapes[] = {{'n', '\n'}, {'t', '\t'}, {'r', '\r'},
                                                       {'b', '\b'}, {'f', '\f'}, {'v', '\v'},
                                                       {'\'', '\''}, {'"', '"'}, {'\\', '\\'}};
  for (auto [name, value] : kEscapes) {
    if (escaped == name) {
      out->push_back(value);
      return base::Status();
    }
  }
  return Error(std::string("unexpected escaped character: ") + escaped);
}

base::Status Lexer::ConsumeString(char quote, std::string* out) {
  char32_t pending_high = 0;
  while (true) {
    if (pos_ >= src_.size()) return Error("unterminated string literal");
    char c = src_[pos_];
    if (c == quote) break;
    if (c == '\\') {
      RETURN_IF_ERROR(ConsumeEscape(out, &pending_high));
      continue;
    }
    if (pending_high != 0) AppendUtf8(0xFFFD, out);
    pending_high = 0;
    out->push_back(c);
    if (++pos_ >= src_.size()) return Error("unterminated string literal");
  }
  if (pending_high != 0) AppendUtf8(0xFFFD, out);
  ++pos_;  // closing quote
  return base::Status();
}

void Lexer::StripTrailingWhitespace() {
  if (!LastIs(TokenType::kText)) return;
  std::string& text = tokens_.back().value;
  text.resize(JsTrimEnd(text).size());
  if (text.empty()) tokens_.pop_back();
}

void Lexer::SkipLeadingWhitespace() {
  while (size_t len = JsWhitespaceLengthAt(src_, pos_)) pos_ += len;
}

bool Lexer::ConsumeText() {
  if (!(tokens_.empty() || LastIs(TokenType::kCloseStatement) ||
        LastIs(TokenType::kCloseExpression) || LastIs(TokenType::kComment))) {
    return false;
  }
  size_t start = pos_;
  while (pos_ < src_.size() &&
         !(src_[pos_] == '{' && (At(pos_ + 1) == '%' || At(pos_ + 1) == '{' || At(pos_ + 1) == '#'))) {
    ++pos_;
  }
  if (pos_ == start) return false;
  Push(TokenType::kText, std::string(src_.substr(start, pos_ - start)), start);
  return true;
}

base::Status Lexer::ConsumeComment() {
  size_t start = pos_;
  pos_ += 2;
  bool strip_before = At(pos_) == '-';
  if (strip_before) ++pos_;
  size_t body = pos_;
  while (!(At(pos_) == '#' && At(pos_ + 1) == '}')) {
    if (pos_ + 2 >= src_.size()) return Error("missing end of comment tag");
    ++pos_;
  }
  std::string comment(src_.substr(body, pos_ - body));
  bool strip_after = !comment.empty() && comment.back() == '-';
  if (strip_after) comment.pop_back();
  if (strip_before) StripTrailingWhitespace();
  Push(TokenType::kComment, std::move(comment), start);
  pos_ += 2;
  if (strip_after) SkipLeadingWhitespace();
  return base::Status();
}

// A + or - that cannot be binary becomes a signed number or a unary operator.
base::Result<bool> Lexer::ConsumeUnary() {
  char c = src_[pos_];
  if (c != '-' && c != '+') return false;
  if (tokens_.empty() || LastIs(TokenType::kText)) return Error(std::string("unexpected character: ") + c);
  switch (tokens_.back().type) {
    case TokenType::kIdentifier:
    case TokenType::kNumber:
    case TokenType::kString:
    case TokenType::kCloseParen:
    case TokenType::kCloseSquare:
      return false;
    default:
      break;
  }
  size_t start = pos_++;
  std::string num;
  RETURN_IF_ERROR(ConsumeWhile(IsDigitChar, &num));
  if (!num.empty() && At(pos_) == '.' && IsDigitChar(At(pos_ + 1))) {
    ++pos_;
    num.push_back('.');
    RETURN_IF_ERROR(ConsumeWhile(IsDigitChar, &num));
  }
  Push(num.empty() ? TokenType::kUnary : TokenType::kNumber, std::string(1, c) + num, start);
  return true;
}

bool Lexer::ConsumeFixed() {
  for (const auto& [seq, type] : kFixedTokens) {
    if (seq == "}}" && curly_depth_ > 0) continue;
    if (src_.substr(pos_, seq.size()) != seq) continue;
    Push(type, std::string(seq), pos_);
    if (type == TokenType::kOpenExpression) curly_depth_ = 0;
    if (type == TokenType::kOpenCurly) ++curly_depth_;
    if (type == TokenType::kCloseCurly) --curly_depth_;
    pos_ += seq.size();
    return true;
  }
  return false;
}

base::Result<std::vector<Token>> Lexer::Run() {
  while (pos_ < src_.size()) {
    if (ConsumeText()) continue;
    std::string_view rest = src_.substr(pos_);
    if (rest.substr(0, 2) == "{#") {
      RETURN_IF_ERROR(ConsumeComment());
      continue;
    }
    if (rest.substr(0, 3) == "{%-" || rest.substr(0, 3) == "{{-") {
      StripTrailingWhitespace();
      bool statement = rest[1] == '%';
      Push(statement ? TokenType::kOpenStatement : TokenType::kOpenExpression, statement ? "{%" : "{{", pos_);
      if (!statement) curly_depth_ = 0;
      pos_ += 3;
      continue;
    }
    RETURN_IF_ERROR(ConsumeWhitespace());
    rest = src_.substr(pos_);
    if (rest.substr(0, 3) == "-%}" || rest.substr(0, 3) == "-}}") {
      bool statement = rest[1] == '%';
      Push(statement ? TokenType::kCloseStatement : TokenType::kCloseExpression, statement ? "%}" : "}}", pos_);
      pos_ += 3;
      SkipLeadingWhitespace();
      continue;
    }
    if (pos_ >= src_.size()) break;
    ASSIGN_OR_RETURN(bool unary, ConsumeUnary());
    if (unary || ConsumeFixed()) continue;
    char c = src_[pos_];
    size_t start = pos_;
    std::string value;
    if (c == '\'' || c == '"') {
      ++pos_;
      RETURN_IF_ERROR(ConsumeString(c, &value));
      Push(TokenType::kString, std::move(value), start);
    } else if (IsDigitChar(c)) {
      RETURN_IF_ERROR(ConsumeWhile(IsDigitChar, &value));
      if (!LastIs(TokenType::kDot) && At(pos_) == '.' && IsDigitChar(At(pos_ + 1))) {
        ++pos_;
        value.push_back('.');
        RETURN_IF_ERROR(ConsumeWhile(IsDigitChar, &value));
      }
      Push(TokenType::kNumber, std::move(value), start);
    } else if (IsWordChar(c)) {
      RETURN_IF_ERROR(ConsumeWhile(IsWordChar, &value));
      Push(TokenType::kIdentifier, std::move(value), start);
    } else {
      size_t len = 1;
      char32_t cp = DecodeUtf8(src_, pos_, &len);
      std::string shown;
      AppendUtf8(cp, &shown);
      return Error("unexpected character: " + shown);
    }
  }
  return std::move(tokens_);
}

}  // namespace

std::string SourcePosition(std::string_view source, uint32_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < source.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(source[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

base::Result<std::vector<Token>> Tokenize(std::string_view source) {
  if (source.size() > (size_t{1} << 26)) return base::InvalidArgument("chat template larger than 64 MiB");
  Lexer lexer(source, Preprocess(source));
  return lexer.Run();
}

}  // namespace engine::jinja
