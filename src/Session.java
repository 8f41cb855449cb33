// The run's one connection, one transaction and one advisory lock.

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import javax.sql.DataSource;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

final class Session implements AutoCloseable {
    /** Serializes seed_database runs against one database: pg_advisory_xact_lock(RUN_LOCK). */
    static final long RUN_LOCK = 0x5EED_DA7A_BA5E_0001L;

    /** A seed file's rows, staged in a temporary table until the end of the run. */
    record Staged(String stage, String table, SeedFile file, List<SeedFile.Row> rows) {}

    final DatabaseTarget target;
    /** The files staged so far in this run, so that a later file can be checked against them. */
    final List<Staged> staged = new ArrayList<>();
    final Connection connection;
    final Handle handle;
    private boolean committed;

    private Session(DatabaseTarget target, Connection connection) {
        this.target = target;
        this.connection = connection;
        this.handle = Jdbi.open(connection);
    }

    /** Connects, begins the run's transaction and takes the run lock: runs wait for each other here. */
    static Session open(DatabaseTarget target) {
        return open(target, true);
    }

    /** Connects without the run lock, for commands that only read what runs recorded. */
    static Session openForReading(DatabaseTarget target) {
        return open(target, false);
    }

    private static Session open(DatabaseTarget target, boolean lock) {
        Connection connection;
        try {
            connection = new org.postgresql.Driver().connect(target.jdbcUrl(), target.properties());
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
        var session = new Session(target, connection);
        try {
            // Timestamps written without an offset mean UTC, whatever the server's or the machine's zone.
            session.run("SET TIME ZONE 'UTC'");
            if (lock) {
                session.run("SELECT pg_advisory_xact_lock(" + RUN_LOCK + ")");
            }
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
        return session;
    }

    /** Runs generated SQL (quoted catalog names, no values) as it is; returns the rows it changed. */
    long run(String sql) {
        try (var statement = connection.createStatement()) {
            return statement.execute(sql) ? 0 : statement.getLargeUpdateCount();
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
    }

    /** Undoes everything the run did: how a plan ends. */
    void rollback() {
        try {
            connection.rollback();
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
    }

    void commit() {
        try {
            connection.commit();
            committed = true;
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
    }

    @Override
    public void close() {
        try {
            if (!committed && !connection.isClosed()) {
                connection.rollback();
            }
        } catch (SQLException e) {
            // The connection is gone: PostgreSQL has rolled the transaction back itself.
        }
        try {
            connection.close();
        } catch (SQLException e) {
            // Nothing more to do with a broken connection.
        }
    }

    /**
     * A DataSource for Flyway that hands out this session's connection, so migrations run inside
     * the run's transaction. Flyway's own transactions become savepoints: its commit releases
     * one, its rollback rolls back to one; closing is a no-op.
     */
    DataSource dataSourceForFlyway() {
        var connectionView = (Connection) Proxy.newProxyInstance(Session.class.getClassLoader(),
                new Class<?>[]{Connection.class}, new java.lang.reflect.InvocationHandler() {
                    boolean inFlywayTransaction;

                    @Override
                    public Object invoke(Object proxy, java.lang.reflect.Method method, Object[] args) throws Throwable {
                        switch (method.getName()) {
                            case "close", "setReadOnly":
                                return null;
                            case "isClosed":
                                return false;
                            case "getAutoCommit":
                                return !inFlywayTransaction;
                            case "setAutoCommit":
                                boolean autoCommit = (Boolean) args[0];
                                if (!autoCommit && !inFlywayTransaction) {
                                    sql("SAVEPOINT flyway");
                                } else if (autoCommit && inFlywayTransaction) {
                                    sql("RELEASE SAVEPOINT flyway");
                                }
                                inFlywayTransaction = !autoCommit;
                                return null;
                            case "commit":
                                if (inFlywayTransaction) {
                                    sql("RELEASE SAVEPOINT flyway");
                                    sql("SAVEPOINT flyway");
                                }
                                return null;
                            case "rollback":
                                if (args == null || args.length == 0) {
                                    if (inFlywayTransaction) {
                                        sql("ROLLBACK TO SAVEPOINT flyway");
                                    }
                                    return null;
                                }
                                break;
                            default:
                                break;
                        }
                        try {
                            return method.invoke(connection, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    }

                    private void sql(String statement) throws SQLException {
                        try (var s = connection.createStatement()) {
                            s.execute(statement);
                        }
                    }
                });
        return new DataSource() {
            @Override public Connection getConnection() { return connectionView; }
            @Override public Connection getConnection(String user, String password) { return connectionView; }
            @Override public PrintWriter getLogWriter() { return null; }
            @Override public void setLogWriter(PrintWriter out) { }
            @Override public void setLoginTimeout(int seconds) { }
            @Override public int getLoginTimeout() { return 0; }
            @Override public Logger getParentLogger() { return Logger.getLogger("org.postgresql"); }
            @Override public <T> T unwrap(Class<T> type) throws SQLException { throw new SQLException("not a wrapper"); }
            @Override public boolean isWrapperFor(Class<?> type) { return false; }
        };
    }
}
