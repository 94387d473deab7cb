namespace CicdOps.Engine.Listener;

/// <summary>
/// The HTTP server in front of the listener. The engine holds no HTTP server of its own (it stays free of
/// ASP.NET types); `src/CicdOps.Server` implements this on Kestrel, and the CLI hands it in.
/// </summary>
public interface IHttpServer : IAsyncDisposable
{
    /// <summary>
    /// Binds and starts handing every request to <paramref name="handle"/>, which answers it completely.
    /// Throws <see cref="CicdException"/> when the address cannot be bound.
    /// </summary>
    Task StartAsync(Func<IHttpExchange, Task> handle);
    /// <summary>Stops accepting and closes connections (the listener has already drained its requests).</summary>
    Task StopAsync();
    /// <summary>Where it listens, for the start-up line, e.g. "https://127.0.0.1:9641".</summary>
    string Address { get; }
}

/// <summary>One request and its response.</summary>
public interface IHttpExchange
{
    string Method { get; }
    /// <summary>The URL path, e.g. "/webhook".</summary>
    string Path { get; }
    /// <summary>A header's value; a header sent more than once gives its values joined by ",".</summary>
    string? Header(string name);
    /// <summary>How many times the header was sent.</summary>
    int HeaderCount(string name);
    /// <summary>The declared Content-Length; null when the body is chunked or absent.</summary>
    long? ContentLength { get; }
    string? ContentType { get; }
    /// <summary>The body. Reads honour their cancellation token; the server's own limits surface as <see cref="HttpBodyException"/>.</summary>
    Stream Body { get; }
    /// <summary>Sends the response and ends the exchange. <paramref name="close"/> drops the connection afterwards.</summary>
    Task RespondAsync(int statusCode, string contentType, ReadOnlyMemory<byte> body, bool close);
    /// <summary>Drops the connection without answering.</summary>
    void Abort();
}

/// <summary>The server cut a body short: 413 (larger than its limit) or 408 (sent slower than its minimum rate).</summary>
public sealed class HttpBodyException(int statusCode, string message, Exception? inner = null) : IOException(message, inner)
{
    public int StatusCode { get; } = statusCode;
}
