///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION The Liquibase peer of bench/run: loadUpdateData of one instruments CSV into SCHEMA.instruments.
//JAVA 17+
//DEPS org.liquibase:liquibase-core:4.33.0
//DEPS org.postgresql:postgresql:42.7.14
// As the tool runs (seed_database.java): the serial collector; the heap is Liquibase's own default
// (a quarter of the machine's memory), since loadUpdateData keeps every row of the file in memory.
//RUNTIME_OPTIONS -XX:+UseSerialGC -Dfile.encoding=UTF-8

// Usage: ./jbang bench/peers/Liquibase.java URL SCHEMA FILE.csv
//        ./jbang bench/peers/Liquibase.java --version     (prints Liquibase's version)
//   URL     postgresql://user[:password]@host[:port]/database (as bench/run's BENCH_DATABASE_URL)
//   SCHEMA  the schema that holds the table instruments (made by bench/run) and Liquibase's own
//           DATABASECHANGELOG tables
//   FILE    the instruments CSV (header symbol,name,exchange,currency,tick_size,lot_size,is_active)
//
// It writes FILE's directory/liquibase-changelog.xml, one changeset with one loadUpdateData keyed
// by symbol, and runs Liquibase's update on it. The changeset is runOnChange, as reference data in
// Liquibase is kept: when the file's checksum is the one of the last run, Liquibase skips the
// changeset (a no-op rerun); when it differs, loadUpdateData upserts every row of the file.
// Liquibase is run with no argument: prints nothing but Liquibase's own logging, on stderr.

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Properties;

import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.DirectoryResourceAccessor;

public class Liquibase {
    public static void main(String... args) throws Exception {
        if (args.length == 1 && args[0].equals("--version")) {
            System.out.println("Liquibase " + liquibase.util.LiquibaseUtil.getBuildVersion());
            return;
        }
        if (args.length != 3) {
            System.err.println("usage: Liquibase.java URL SCHEMA FILE.csv");
            System.exit(2);
        }
        URI url = URI.create(args[0]);
        String schema = args[1];
        Path csv = Path.of(args[2]).toAbsolutePath();
        Path dir = csv.getParent();

        Properties properties = new Properties();
        String userInfo = url.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            properties.setProperty("user", decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
            if (colon >= 0) properties.setProperty("password", decode(userInfo.substring(colon + 1)));
        }
        String jdbcUrl = "jdbc:postgresql://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + url.getRawPath();

        String changelog = """
                <?xml version="1.0" encoding="UTF-8"?>
                <databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
                    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog
                        http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.33.xsd">
                  <changeSet id="instruments" author="bench" runOnChange="true">
                    <loadUpdateData tableName="instruments" schemaName="%s" primaryKey="symbol"
                                    file="%s" relativeToChangelogFile="true">
                      <column name="symbol" type="STRING"/>
                      <column name="name" type="STRING"/>
                      <column name="exchange" type="STRING"/>
                      <column name="currency" type="STRING"/>
                      <column name="tick_size" type="NUMERIC"/>
                      <column name="lot_size" type="NUMERIC"/>
                      <column name="is_active" type="BOOLEAN"/>
                    </loadUpdateData>
                  </changeSet>
                </databaseChangeLog>
                """.formatted(schema, csv.getFileName());
        Files.writeString(dir.resolve("liquibase-changelog.xml"), changelog, StandardCharsets.UTF_8);

        try (Connection connection = DriverManager.getConnection(jdbcUrl, properties)) {
            Database database = DatabaseFactory.getInstance()
                    .findCorrectDatabaseImplementation(new JdbcConnection(connection));
            database.setDefaultSchemaName(schema);
            database.setLiquibaseSchemaName(schema);
            try (var liquibase = new liquibase.Liquibase("liquibase-changelog.xml",
                    new DirectoryResourceAccessor(dir), database)) {
                liquibase.update(new Contexts(), new LabelExpression());
            }
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
