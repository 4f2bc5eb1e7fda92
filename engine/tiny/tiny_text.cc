// Built-in text for the tiny vocabulary's merges, and its chat template.
// The text is plain English written for this purpose: short stories and a
// little about code, so the merges cover common words, spaces before
// words, punctuation and a few programming terms.
#include "engine/tiny/tiny_vocab.h"

namespace engine::tiny {

std::string_view TinyTrainingText() {
  static constexpr std::string_view kText =
      "Once upon a time, there was a small robot who lived in a quiet house at the end of the street. "
      "Every morning the robot opened the window, looked at the sky and said hello to the birds. "
      "The birds did not answer, but the robot did not mind. It liked the sound of its own voice.\n"
      "One day a girl named Mia came to the house. She had a red ball and a blue book. "
      "\"Can you read?\" she asked. The robot thought for a long time and then it said, \"I can try.\" "
      "They sat in the garden and read the book together. The story was about a dog who wanted to fly. "
      "The dog jumped from a high rock, fell into the water and laughed. Mia laughed too.\n"
      "When the sun went down, the robot helped Mia carry the ball and the book back to her home. "
      "Her mother gave the robot a cup of warm tea. The robot could not drink it, "
      "but it held the cup with care because it was a gift. That night the robot was very happy.\n"
      "The next day it rained. The robot stayed inside and counted the drops on the glass: "
      "one, two, three, four, five, and then more than it could count. It learned that some things "
      "are too many to count, and that is fine.\n"
      "Later the robot found an old computer in the attic. It wrote its first program:\n"
      "def main():\n"
      "    for i in range(10):\n"
      "        print(\"hello\", i)\n"
      "    return 0\n"
      "The program printed hello ten times. The robot read the output, found a bug in the next "
      "version, fixed the file, ran the tests again and saw that every test passed. "
      "It wrote a note to itself: read the error, change one thing, run it again.\n"
      "int add(int a, int b) { return a + b; }\n"
      "The robot showed the code to Mia. She did not understand it, but she said it looked nice. "
      "They went to the park, where the trees were green and the grass was wet. "
      "A little cat sat under a bench and watched them. The robot wanted to be friends with the cat, "
      "so it sat very still. After a while the cat came closer and touched the robot with its nose.\n"
      "From that day on, the robot, the girl and the cat were friends. They played in the park, "
      "they read books in the garden, and when it rained they stayed inside and wrote small programs "
      "that counted the rain. The end.\n";
  return kText;
}

std::string_view TinyChatTemplate() {
  static constexpr std::string_view kTemplate =
      "{%- for message in messages -%}"
      "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
      "{%- endfor -%}"
      "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";
  return kTemplate;
}

}  // namespace engine::tiny
