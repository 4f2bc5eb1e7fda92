#include "agent/cli/line_editor.h"

#include <editline/readline.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace cli {

LineEditor::LineEditor(std::string history_file)
    : history_file_(std::move(history_file)), terminal_(isatty(STDIN_FILENO) != 0) {
  if (!terminal_) return;
  using_history();
  stifle_history(1000);
  if (!history_file_.empty()) read_history(history_file_.c_str());  // absent the first time: fine
}

LineEditor::~LineEditor() {
  if (terminal_ && !history_file_.empty()) write_history(history_file_.c_str());
}

std::optional<std::string> LineEditor::ReadLine(const std::string& prompt) {
  if (!terminal_) {
    std::string line;
    std::cout << prompt << std::flush;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
  }
  char* raw = readline(prompt.c_str());
  if (raw == nullptr) return std::nullopt;
  std::string line(raw);
  std::free(raw);
  if (!line.empty()) add_history(line.c_str());
  return line;
}

}  // namespace cli
