namespace CicdOps.Engine.Listener;

/// <summary>The HTTP server behind the listener; only <see cref="HttpListenerServer"/> knows which one it is.</summary>
public interface IHttpServer : IDisposable
{
    /// <summary>Binds and starts accepting. Throws <see cref="CicdException"/> when the address cannot be bound.</summary>
    void Start();
    /// <summary>The next request; throws <see cref="OperationCanceledException"/> once the server stops.</summary>
    Task<IHttpExchange> AcceptAsync();
    void Stop();
}

/// <summary>One request and its response.</summary>
public interface IHttpExchange
{
    string Method { get; }
    /// <summary>The URL path, e.g. "/webhook".</summary>
    string Path { get; }
    string? Header(string name);
    /// <summary>The declared Content-Length; null when the body is chunked or absent.</summary>
    long? ContentLength { get; }
    string? ContentType { get; }
    Stream Body { get; }
    /// <summary>Sends the response and ends the exchange. <paramref name="close"/> drops the connection afterwards.</summary>
    Task RespondAsync(int statusCode, string contentType, ReadOnlyMemory<byte> body, bool close);
    /// <summary>Drops the connection without answering (stalled clients).</summary>
    void Abort();
}
