// Values of a seed file as PostgreSQL's input text for their columns: numbers as written, JSON,
// arrays, bytea; YAML spellings that would change on the way in are errors.

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/** The text COPY gets for a value of a seed file, checked against its column (the rules over the stage check it further). */
final class Values {

    private Values() {}

    /** The input text for the column, or null for SQL NULL. */
    static String text(SeedFile.Value value, Catalog.Column column, SeedFile file) {
        if (value == null || value.kind() == SeedFile.Kind.NULL) {
            return null;
        }
        if (value.kind() == SeedFile.Kind.LITERAL) {
            return value.text();
        }
        if (column.json()) {
            return json(value, file);
        }
        if (column.array()) {
            if (value.kind() != SeedFile.Kind.LIST) {
                throw SeedError.in(file.displayPath(), value.pos(), column.name() + " is " + column.type()
                        + ": write its value as a list, e.g. [a, b]");
            }
            return arrayLiteral(value, column, file);
        }
        if (value.kind() == SeedFile.Kind.LIST || value.kind() == SeedFile.Kind.MAP) {
            throw SeedError.in(file.displayPath(), value.pos(), column.name() + " is " + column.type() + ": a YAML "
                    + (value.kind() == SeedFile.Kind.LIST ? "list fits only a json, jsonb or array column"
                    : "mapping fits only a json or jsonb column, or a foreign key column (a reference, as in {model_id: gpt-4o})"));
        }
        return scalar(value, column.category(), column.baseType(), file);
    }

    /**
     * Whether PostgreSQL reads text as a number a numeric(p,s) column of this scale stores as it is
     * (NaN too); false when it would round it, and for any text not plainly a number (infinities,
     * which the column refuses, among them): then a caller that cannot tell does not go on.
     */
    static boolean keepsDecimals(String text, int scale) {
        String number = text.trim();
        return DECIMAL.matcher(number).matches() ? decimalsNeeded(number) <= scale : number.equalsIgnoreCase("NaN");
    }

    /**
     * The decimals a number needs, counted in its text: 0.50 needs 1, 1.5e-3 needs 4, 100e-3 needs
     * 1, 120 none. BigDecimal.stripTrailingZeros would say the same, but divides by ten once per
     * zero: a value of a hundred thousand digits took minutes.
     */
    static long decimalsNeeded(String number) {
        int e = Math.max(number.indexOf('e'), number.indexOf('E'));
        String exponentText = e < 0 ? "0" : number.substring(e + 1).replace("+", "");
        if (exponentText.replace("-", "").length() > 6) {
            return 0;   // beyond ±1000 PostgreSQL refuses the number itself
        }
        long exponent = Long.parseLong(exponentText);
        String mantissa = e < 0 ? number : number.substring(0, e);
        int dot = mantissa.indexOf('.');
        long decimals = dot < 0 ? 0 : mantissa.length() - dot - 1;
        int last = mantissa.length() - 1;
        while (last >= 0 && (mantissa.charAt(last) == '0' || mantissa.charAt(last) == '.')) {
            decimals -= mantissa.charAt(last) == '0' ? 1 : 0;
            last--;
        }
        if (last < 0 || !Character.isDigit(mantissa.charAt(last))) {
            return 0;   // zero needs no decimals
        }
        return decimals - exponent;
    }

    private static String scalar(SeedFile.Value value, char category, String baseType, SeedFile file) {
        return switch (value.kind()) {
            case INT, FLOAT -> category == 'N' ? number(value, file) : value.text();
            case BINARY -> {
                if (!"bytea".equals(baseType)) {
                    yield value.text();
                }
                try {
                    // YAML may fold a long !!binary over lines: whitespace goes; any other byte that is not
                    // base64 is an error (the MIME decoder would drop it and store less than the file says).
                    yield "\\x" + HexFormat.of().formatHex(Base64.getDecoder().decode(value.text().replaceAll("\\s+", "")));
                } catch (IllegalArgumentException e) {
                    throw SeedError.in(file.displayPath(), value.pos(), "!!binary value is not base64");
                }
            }
            default -> value.text();
        };
    }

    private static final Pattern DECIMAL = Pattern.compile("[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?");
    private static final Pattern SEXAGESIMAL = Pattern.compile("[-+]?[0-9][0-9]*(:[0-5]?[0-9])+(\\.[0-9]*)?");

    /**
     * A YAML number as PostgreSQL numeric input: digits as written (0.010 keeps its scale; 0777 is
     * 777), no underscores. YAML's other spellings would be changed on the way in, so each is an
     * error: 0x, 0o and 0b numbers, base 60 (1:30), .nan and .inf (NaN even passes CHECK (x >= 0)).
     */
    static String number(SeedFile.Value value, SeedFile file) {
        String text = value.text().replace("_", "");
        String lower = text.toLowerCase(Locale.ROOT);
        String unsigned = lower.startsWith("-") || lower.startsWith("+") ? lower.substring(1) : lower;
        if (unsigned.equals(".inf") || unsigned.equals(".nan")) {
            String special = unsigned.equals(".nan") ? "NaN" : lower.startsWith("-") ? "-Infinity" : "Infinity";
            throw SeedError.in(file.displayPath(), value.pos(), value.text() + " is YAML's " + (special.equals("NaN")
                    ? "not-a-number" : "infinity") + ", which a seed file does not write as a number")
                    .hint("PostgreSQL's " + special + " (which passes a CHECK such as x >= 0) is written on purpose, quoted: \""
                            + special + "\"");
        }
        if (unsigned.startsWith("0x") || unsigned.startsWith("0o") || unsigned.startsWith("0b")) {
            String base = unsigned.charAt(1) == 'x' ? "hexadecimal" : unsigned.charAt(1) == 'o' ? "octal" : "binary";
            String decimal;
            try {
                var number = new BigInteger(unsigned.substring(2), unsigned.charAt(1) == 'x' ? 16 : unsigned.charAt(1) == 'o' ? 8 : 2);
                decimal = (lower.startsWith("-") ? number.negate() : number).toString();
            } catch (NumberFormatException e) {
                decimal = null;
            }
            throw SeedError.in(file.displayPath(), value.pos(), value.text() + " is " + (base.equals("octal") ? "an " : "a ")
                    + base + " number, which a seed "
                    + "file does not convert").hint("write it in decimal" + (decimal == null ? "" : ": " + decimal));
        }
        if (SEXAGESIMAL.matcher(text).matches()) {
            throw SeedError.in(file.displayPath(), value.pos(), value.text() + " is a base 60 number to YAML 1.1 "
                    + "(1:30 is 90), which a seed file does not convert").hint("write the number in decimal (a time or "
                    + "interval column takes 1:30 as it is written)");
        }
        try {
            new BigDecimal(text);
            return text;
        } catch (NumberFormatException e) {
            throw SeedError.in(file.displayPath(), value.pos(), "\"" + value.text() + "\" is not a number");
        }
    }

    static String json(SeedFile.Value value, SeedFile file) {
        var out = new StringBuilder();
        writeJson(out, value, file, false);
        return out.toString();
    }

    /** The JSON a value would be, but with each value from the environment as its template: for showing. */
    static String jsonWithTemplates(SeedFile.Value value, SeedFile file) {
        var out = new StringBuilder();
        writeJson(out, value, file, true);
        return out.toString();
    }

    private static void writeJson(StringBuilder out, SeedFile.Value value, SeedFile file, boolean templates) {
        if (templates && value.template() != null) {
            Json.quote(out, value.template());
            return;
        }
        switch (value.kind()) {
            case NULL -> out.append("null");
            case BOOL -> out.append(value.text().toLowerCase(Locale.ROOT));
            case INT, FLOAT -> out.append(new BigDecimal(number(value, file)));
            case LIST -> {
                out.append('[');
                for (int i = 0; i < value.items().size(); i++) {
                    out.append(i == 0 ? "" : ",");
                    writeJson(out, value.items().get(i), file, templates);
                }
                out.append(']');
            }
            case MAP -> {
                out.append('{');
                boolean first = true;
                for (var entry : value.entries().entrySet()) {
                    out.append(first ? "" : ",");
                    first = false;
                    Json.quote(out, entry.getKey());
                    out.append(':');
                    writeJson(out, entry.getValue(), file, templates);
                }
                out.append('}');
            }
            default -> Json.quote(out, value.text());
        }
    }

    /** A YAML list as a PostgreSQL array literal: {"a","b"}, nested lists for more dimensions. */
    private static String arrayLiteral(SeedFile.Value list, Catalog.Column column, SeedFile file) {
        var out = new StringBuilder("{");
        for (int i = 0; i < list.items().size(); i++) {
            var item = list.items().get(i);
            out.append(i == 0 ? "" : ",");
            if (item.kind() == SeedFile.Kind.NULL) {
                out.append("NULL");
            } else if (item.kind() == SeedFile.Kind.LIST) {
                out.append(arrayLiteral(item, column, file));
            } else {
                String text = item.kind() == SeedFile.Kind.MAP || column.elementJson() ? json(item, file)
                        : scalar(item, column.elementCategory(), column.elementType(), file);
                out.append('"').append(text.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return out.append('}').toString();
    }
}
