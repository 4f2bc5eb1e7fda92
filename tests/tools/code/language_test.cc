// Which files the code map reads, and as what.
#include <catch2/catch.hpp>

#include "tools/code/language.h"

using tools::Language;

TEST_CASE("language: by extension, case-insensitively; unknown and extensionless files have none", "[tools][code]") {
  CHECK(tools::LanguageForPath("a/b.c") == Language::kC);
  CHECK(tools::LanguageForPath("a/b.h") == Language::kCpp);
  CHECK(tools::LanguageForPath("x.cc") == Language::kCpp);
  CHECK(tools::LanguageForPath("X.CPP") == Language::kCpp);
  CHECK(tools::LanguageForPath("k.cu") == Language::kCpp);
  CHECK(tools::LanguageForPath("s.py") == Language::kPython);
  CHECK(tools::LanguageForPath("m.mjs") == Language::kJavaScript);
  CHECK(tools::LanguageForPath("c.jsx") == Language::kJavaScript);
  CHECK(tools::LanguageForPath("t.ts") == Language::kTypeScript);
  CHECK(tools::LanguageForPath("t.tsx") == Language::kTsx);
  CHECK(tools::LanguageForPath("lib.rs") == Language::kRust);
  CHECK(tools::LanguageForPath("main.go") == Language::kGo);
  CHECK(tools::LanguageForPath("run.sh") == Language::kBash);
  CHECK(tools::LanguageForPath("package.json") == Language::kJson);
  CHECK(!tools::LanguageForPath("notes.txt"));
  CHECK(!tools::LanguageForPath("Makefile"));
  CHECK(!tools::LanguageForPath(".bashrc"));  // a dot file has no extension
  CHECK(!tools::LanguageForPath("dir.py/file"));
  CHECK(tools::MayHaveShebang("scripts/deploy"));
  CHECK(!tools::MayHaveShebang("scripts/deploy.txt"));
}

TEST_CASE("language: #! lines name bash, sh and python scripts", "[tools][code]") {
  CHECK(tools::LanguageForShebang("#!/bin/sh\necho") == Language::kBash);
  CHECK(tools::LanguageForShebang("#!/usr/bin/env bash\n") == Language::kBash);
  CHECK(tools::LanguageForShebang("#! /bin/bash -eu\n") == Language::kBash);
  CHECK(tools::LanguageForShebang("#!/usr/bin/env -S python3 -u\n") == Language::kPython);
  CHECK(tools::LanguageForShebang("#!/usr/bin/python3.11") == Language::kPython);
  CHECK(tools::LanguageForShebang("#!/usr/bin/env node\n") == Language::kJavaScript);
  CHECK(!tools::LanguageForShebang("#!/usr/bin/env ruby\n"));
  CHECK(!tools::LanguageForShebang("#!/usr/bin/env\n"));
  CHECK(!tools::LanguageForShebang("echo hi\n"));
  CHECK(!tools::LanguageForShebang(""));
}

TEST_CASE("language: every language has a name and a grammar", "[tools][code]") {
  for (int i = 0; i < tools::kLanguageCount; ++i) {
    const auto language = static_cast<Language>(i);
    CHECK(tools::LanguageName(language) != "?");
    CHECK(tools::Grammar(language) != nullptr);
  }
}
