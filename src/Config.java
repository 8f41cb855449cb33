// What a run is configured with, built once from the options and the environment.

final class Config {
    static final String VERSION = "0.1.0";

    private Config() {}
}
