// Census-style obs value filters: a small recursive-descent parser and an
// evaluator over io::DataFrame columns (categoricals are decided once per
// category, not once per cell).
#include "bmfm/io/obs_filter.h"

#include <cctype>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "bmfm/io/error.h"

namespace bmfm::io {

struct Literal {
  enum class Kind { String, Number, Bool } kind = Kind::String;
  std::string text;  // as written (strings unquoted)
  double number = 0;
};

struct ObsFilter::Node {
  enum class Op { And, Or, Not, Cmp, In } op = Op::Cmp;
  std::unique_ptr<Node> a, b;
  // Cmp / In:
  std::string column;
  std::string cmp;  // == != < <= > >=
  bool negate_in = false;
  std::vector<Literal> values;
};

namespace {

using Node = ObsFilter::Node;

struct Token {
  enum class Kind { Ident, String, Number, Op, LParen, RParen, LBracket, RBracket, Comma, End } kind = Kind::End;
  std::string text;
  size_t pos = 0;
};

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) { tokenize(); }

  std::unique_ptr<Node> parse() {
    auto n = parse_or();
    if (peek().kind != Token::Kind::End) fail(peek(), "unexpected '" + peek().text + "'");
    return n;
  }

 private:
  [[noreturn]] void fail(const Token& t, const std::string& msg) const {
    throw FormatError(fmt::format("obs filter \"{}\": {} at position {}", s_, msg, t.pos + 1));
  }
  const Token& peek() const { return toks_[i_]; }
  Token next() { return toks_[i_ < toks_.size() - 1 ? i_++ : i_]; }
  bool keyword(const std::string& k) const { return peek().kind == Token::Kind::Ident && peek().text == k; }

  void tokenize() {
    size_t p = 0;
    while (true) {
      while (p < s_.size() && std::isspace(static_cast<unsigned char>(s_[p]))) ++p;
      Token t;
      t.pos = p;
      if (p >= s_.size()) {
        toks_.push_back(t);
        return;
      }
      const char c = s_[p];
      if (c == '\'' || c == '"') {
        size_t q = p + 1;
        std::string v;
        while (q < s_.size() && s_[q] != c) {
          if (s_[q] == '\\' && q + 1 < s_.size()) ++q;
          v += s_[q++];
        }
        if (q >= s_.size()) fail(t, "unterminated string");
        t.kind = Token::Kind::String;
        t.text = v;
        p = q + 1;
      } else if (c == '`') {
        const size_t q = s_.find('`', p + 1);
        if (q == std::string::npos) fail(t, "unterminated `name`");
        t.kind = Token::Kind::Ident;
        t.text = s_.substr(p + 1, q - p - 1);
        p = q + 1;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 ((c == '-' || c == '+' || c == '.') && p + 1 < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[p + 1])) || s_[p + 1] == '.'))) {
        size_t q = p + 1;
        while (q < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[q])) || s_[q] == '.' ||
                                 ((s_[q] == '-' || s_[q] == '+') && (s_[q - 1] == 'e' || s_[q - 1] == 'E'))))
          ++q;
        t.kind = Token::Kind::Number;
        t.text = s_.substr(p, q - p);
        p = q;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t q = p + 1;
        while (q < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[q])) || s_[q] == '_' || s_[q] == '.')) ++q;
        t.kind = Token::Kind::Ident;
        t.text = s_.substr(p, q - p);
        p = q;
      } else if (s_.compare(p, 2, "==") == 0 || s_.compare(p, 2, "!=") == 0 || s_.compare(p, 2, "<=") == 0 ||
                 s_.compare(p, 2, ">=") == 0) {
        t.kind = Token::Kind::Op;
        t.text = s_.substr(p, 2);
        p += 2;
      } else if (c == '<' || c == '>') {
        t.kind = Token::Kind::Op;
        t.text = std::string(1, c);
        ++p;
      } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',') {
        t.kind = c == '(' ? Token::Kind::LParen : c == ')' ? Token::Kind::RParen : c == '[' ? Token::Kind::LBracket
                 : c == ']' ? Token::Kind::RBracket : Token::Kind::Comma;
        t.text = std::string(1, c);
        ++p;
      } else if (c == '&' || c == '|') {
        // pandas-style & and | read as and / or
        t.kind = Token::Kind::Ident;
        t.text = c == '&' ? "and" : "or";
        p += (p + 1 < s_.size() && s_[p + 1] == c) ? 2 : 1;
      } else if (c == '=') {
        fail(t, "'=' is assignment; compare with '=='");
      } else {
        fail(t, std::string("unexpected character '") + c + "'");
      }
      toks_.push_back(t);
    }
  }

  // `or` binds looser than `and`: parse_or = parse_binary("or", parse_and).
  std::unique_ptr<Node> parse_or() { return parse_binary("or", Node::Op::Or, &Parser::parse_and); }
  std::unique_ptr<Node> parse_and() { return parse_binary("and", Node::Op::And, &Parser::parse_not); }
  std::unique_ptr<Node> parse_binary(const char* word, Node::Op op, std::unique_ptr<Node> (Parser::*operand)()) {
    auto left = (this->*operand)();
    while (keyword(word)) {
      next();
      auto n = std::make_unique<Node>();
      n->op = op;
      n->a = std::move(left);
      n->b = (this->*operand)();
      left = std::move(n);
    }
    return left;
  }
  std::unique_ptr<Node> parse_not() {
    if (keyword("not")) {
      next();
      auto n = std::make_unique<Node>();
      n->op = Node::Op::Not;
      n->a = parse_not();
      return n;
    }
    return parse_primary();
  }
  Literal literal(const Token& t) {
    Literal l;
    if (t.kind == Token::Kind::String) {
      l.kind = Literal::Kind::String;
      l.text = t.text;
    } else if (t.kind == Token::Kind::Number) {
      l.kind = Literal::Kind::Number;
      l.text = t.text;
      try {
        size_t used = 0;
        l.number = std::stod(t.text, &used);
        if (used != t.text.size()) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        fail(t, "bad number '" + t.text + "'");
      }
    } else if (t.kind == Token::Kind::Ident && (t.text == "True" || t.text == "False" || t.text == "true" || t.text == "false")) {
      l.kind = Literal::Kind::Bool;
      l.text = t.text;
      l.number = (t.text == "True" || t.text == "true") ? 1 : 0;
    } else {
      fail(t, "expected a value ('text', a number, True or False), got '" + t.text + "'");
    }
    return l;
  }
  bool is_literal(const Token& t) const {
    return t.kind == Token::Kind::String || t.kind == Token::Kind::Number ||
           (t.kind == Token::Kind::Ident && (t.text == "True" || t.text == "False" || t.text == "true" || t.text == "false"));
  }
  std::unique_ptr<Node> parse_primary() {
    if (peek().kind == Token::Kind::LParen) {
      next();
      auto n = parse_or();
      if (peek().kind != Token::Kind::RParen) fail(peek(), "expected ')'");
      next();
      return n;
    }
    auto n = std::make_unique<Node>();
    const Token first = next();
    if (is_literal(first)) {
      // literal op column: flip the comparison
      n->values.push_back(literal(first));
      const Token op = next();
      if (op.kind != Token::Kind::Op) fail(op, "expected a comparison after the value");
      const Token col = next();
      if (col.kind != Token::Kind::Ident) fail(col, "expected a column name");
      n->column = col.text;
      const std::string o = op.text;
      n->cmp = o == "<" ? ">" : o == ">" ? "<" : o == "<=" ? ">=" : o == ">=" ? "<=" : o;
      return n;
    }
    if (first.kind != Token::Kind::Ident || first.text == "and" || first.text == "or" || first.text == "in")
      fail(first, first.kind == Token::Kind::End ? "expression ends early" : "expected a column name, got '" + first.text + "'");
    n->column = first.text;
    if (keyword("in") || keyword("not")) {
      if (keyword("not")) {
        next();
        if (!keyword("in")) fail(peek(), "expected 'in' after 'not'");
        n->negate_in = true;
      }
      next();
      n->op = Node::Op::In;
      if (peek().kind != Token::Kind::LBracket && peek().kind != Token::Kind::LParen) fail(peek(), "expected '[' after 'in'");
      const auto close = next().kind == Token::Kind::LBracket ? Token::Kind::RBracket : Token::Kind::RParen;
      while (peek().kind != close) {
        n->values.push_back(literal(next()));
        if (peek().kind == Token::Kind::Comma) next();
        else if (peek().kind != close) fail(peek(), "expected ',' or the end of the list");
      }
      next();
      return n;
    }
    const Token op = next();
    if (op.kind != Token::Kind::Op) fail(op, "expected a comparison (==, !=, <, <=, >, >=, in) after '" + first.text + "'");
    n->cmp = op.text;
    n->values.push_back(literal(next()));
    return n;
  }

  const std::string& s_;
  std::vector<Token> toks_;
  size_t i_ = 0;
};

// One comparison for text (lexicographic) and numbers.
template <class T>
bool compare(const T& v, const std::string& cmp, const T& lit) {
  if (cmp == "==") return v == lit;
  if (cmp == "!=") return v != lit;
  if (cmp == "<") return v < lit;
  if (cmp == "<=") return v <= lit;
  if (cmp == ">") return v > lit;
  return v >= lit;
}

void collect(const Node& n, std::set<std::string>& out) {
  if (n.op == Node::Op::Cmp || n.op == Node::Op::In) out.insert(n.column);
  if (n.a) collect(*n.a, out);
  if (n.b) collect(*n.b, out);
}

std::vector<uint8_t> eval(const Node& n, const DataFrame& df, const std::string& what) {
  const size_t rows = static_cast<size_t>(df.n_rows());
  if (n.op == Node::Op::And || n.op == Node::Op::Or) {
    auto a = eval(*n.a, df, what), b = eval(*n.b, df, what);
    for (size_t i = 0; i < rows; ++i) a[i] = n.op == Node::Op::And ? (a[i] && b[i]) : (a[i] || b[i]);
    return a;
  }
  if (n.op == Node::Op::Not) {
    auto a = eval(*n.a, df, what);
    for (auto& x : a) x = !x;
    return a;
  }
  std::vector<uint8_t> out(rows, 0);
  const bool is_index = n.column == df.index_name && !df.find(n.column);
  const Column* col = is_index ? nullptr : df.find(n.column);
  if (!col && !is_index) {
    std::string names = df.index_name + " (index)";
    for (const auto& c : df.columns) names += ", " + c.name;
    throw FormatError(fmt::format("obs filter: {} has no column '{}' (columns: {})", what, n.column, names));
  }
  const bool textual = is_index || col->kind == Column::Kind::String || col->kind == Column::Kind::Categorical;
  for (const auto& l : n.values) {
    if (textual && l.kind == Literal::Kind::Bool)
      throw FormatError(fmt::format("obs filter: column '{}' of {} holds text; compare it with 'text', not {}", n.column, what, l.text));
    if (!textual && l.kind == Literal::Kind::String)
      throw FormatError(fmt::format("obs filter: column '{}' of {} is {}; compare it with a number, not '{}'", n.column,
                                    what, col->dtype, l.text));
  }
  auto test_text = [&](const std::string& v) {
    if (n.op == Node::Op::In) {
      bool found = false;
      for (const auto& l : n.values) found = found || v == l.text;
      return found != n.negate_in;
    }
    return compare<std::string>(v, n.cmp, n.values[0].text);
  };
  auto test_number = [&](double v) {
    if (n.op == Node::Op::In) {
      bool found = false;
      for (const auto& l : n.values) found = found || v == l.number;
      return found != n.negate_in;
    }
    return compare<double>(v, n.cmp, n.values[0].number);
  };
  if (is_index) {
    for (size_t i = 0; i < rows; ++i) out[i] = test_text(df.index[i]);
    return out;
  }
  switch (col->kind) {
    case Column::Kind::Categorical: {
      std::vector<uint8_t> per(col->categories.size());
      for (size_t c = 0; c < per.size(); ++c) per[c] = test_text(col->categories[c]);
      for (size_t i = 0; i < rows; ++i) out[i] = col->codes[i] >= 0 && per[static_cast<size_t>(col->codes[i])];
      break;
    }
    case Column::Kind::String:
      for (size_t i = 0; i < rows; ++i) out[i] = !col->is_missing(static_cast<int64_t>(i)) && test_text(col->strings[i]);
      break;
    case Column::Kind::Numeric:
      for (size_t i = 0; i < rows; ++i) out[i] = !std::isnan(col->numeric[i]) && test_number(col->numeric[i]);
      break;
    case Column::Kind::Integer:
      for (size_t i = 0; i < rows; ++i)
        out[i] = !col->is_missing(static_cast<int64_t>(i)) && test_number(static_cast<double>(col->integer[i]));
      break;
    case Column::Kind::Boolean:
      for (size_t i = 0; i < rows; ++i) out[i] = !col->is_missing(static_cast<int64_t>(i)) && test_number(col->boolean[i] ? 1 : 0);
      break;
  }
  return out;
}

}  // namespace

ObsFilter ObsFilter::parse(const std::string& expression) {
  ObsFilter f;
  f.text_ = expression;
  Parser p(f.text_);
  f.root_ = p.parse();
  return f;
}

ObsFilter::~ObsFilter() = default;
ObsFilter::ObsFilter(ObsFilter&&) noexcept = default;
ObsFilter& ObsFilter::operator=(ObsFilter&&) noexcept = default;

std::vector<uint8_t> ObsFilter::evaluate(const DataFrame& obs, const std::string& what) const {
  return eval(*root_, obs, what);
}

std::vector<std::string> ObsFilter::columns() const {
  std::set<std::string> s;
  collect(*root_, s);
  return {s.begin(), s.end()};
}

const std::string& ObsFilter::text() const { return text_; }

}  // namespace bmfm::io
