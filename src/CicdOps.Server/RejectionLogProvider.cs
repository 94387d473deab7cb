using Microsoft.Extensions.Logging;

namespace CicdOps.Server;

/// <summary>
/// Turns the requests Kestrel rejects itself (malformed request line or Host header, header timeout, body too slow)
/// into one listener log line each, so a reverse proxy's or scanner's rejected request is never silent. Everything
/// else Kestrel logs is dropped: the listener logs its own events.
/// </summary>
internal sealed class RejectionLogProvider(Action<string> log) : ILoggerProvider
{
    public const string BadRequests = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

    public ILogger CreateLogger(string categoryName) =>
        categoryName == BadRequests ? new Logger(log) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose() { }

    private sealed class Logger(Action<string> log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var reason = exception?.Message ?? formatter(state, exception);
            try { log($"http rejected event={CicdOps.Engine.Listener.ListenerLog.Clean(eventId.Name)} reason={CicdOps.Engine.Listener.ListenerLog.Clean(reason)}"); }
            catch (Exception) { /* logging never breaks serving */ }
        }
    }
}
