// The run's one connection as Flyway's DataSource: migrations run inside the run's transaction,
// Flyway's own transactions become savepoints of it.

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Logger;
import javax.sql.DataSource;

final class FlywayDataSource {
    private FlywayDataSource() {
    }

    /**
     * A DataSource for Flyway that hands out the session's connection, so migrations run inside
     * the run's transaction. Flyway's own transactions become savepoints: its commit releases
     * one, its rollback rolls back to one; closing is a no-op.
     */
    static DataSource of(Connection connection) {
        var connectionView = (Connection) Proxy.newProxyInstance(FlywayDataSource.class.getClassLoader(),
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
