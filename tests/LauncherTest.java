import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * ./jbang remembers the command that runs a script: the remembered command must never run old
 * code (an edit of any file the script includes is a new key), and arguments pass through as given.
 */
class LauncherTest {

    final Path dir = TestDatabase.scratch("launcher");

    String run(String... args) throws Exception {
        var command = new ArrayList<>(List.of(TestDatabase.PROJECT.resolve("jbang").toString(), "Hello.java"));
        command.addAll(List.of(args));
        var process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), "the run ends");
        assertEquals(0, process.exitValue(), output);
        return output.lines().filter(line -> !line.startsWith("[jbang]")).reduce("", (a, b) -> a + b + "\n");
    }

    void word(String word) {
        TestDatabase.write(dir.resolve("lib/Word.java"), "class Word { static String WORD = \"" + word + "\"; }\n");
    }

    @Test
    void an_edit_of_an_included_file_is_run_at_once_and_arguments_pass_through_unchanged() throws Exception {
        TestDatabase.write(dir.resolve("Hello.java"), """
                //SOURCES lib/*.java
                class Hello {
                    public static void main(String[] args) {
                        System.out.println(Word.WORD + " " + String.join("|", args));
                    }
                }
                """);
        word("one");
        assertEquals("one a b|c\"d|$HOME|*\n", run("a b", "c\"d", "$HOME", "*"));
        assertEquals("one \n", run(), "the remembered command, without arguments");

        word("two");
        assertEquals("two x\n", run("x"), "a file included through a glob is part of the key");
        word("one");
        assertEquals("one y\n", run("y"), "and back: the first command, remembered, is right again");
    }
}
