// The REPL's line editor: libedit (BSD) with history kept across runs in
// the data directory, or plain getline when stdin is not a terminal.
//
// Threading: one thread (the front end's).
#pragma once

#include <optional>
#include <string>

namespace cli {

class LineEditor {
 public:
  // history_file: empty keeps history in memory only.
  explicit LineEditor(std::string history_file);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // nullopt at end of input (Ctrl-D).
  std::optional<std::string> ReadLine(const std::string& prompt);

 private:
  std::string history_file_;
  bool terminal_ = false;
};

}  // namespace cli
