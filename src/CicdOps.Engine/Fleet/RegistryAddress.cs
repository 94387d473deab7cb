namespace CicdOps.Engine.Fleet;

/// <summary>Which database a fleet registry URI names.</summary>
public enum RegistryBackend { PostgreSql, MongoDb }

/// <summary>
/// A registry URI (postgres://, postgresql://, mongodb://, mongodb+srv://) checked without connecting, and its
/// printable form with the user information (user name and password) replaced by ***.
/// </summary>
public static class RegistryAddress
{
    public static RegistryBackend Parse(string uri)
    {
        var scheme = SchemeOf(uri);
        var backend = scheme switch
        {
            "postgres" or "postgresql" => RegistryBackend.PostgreSql,
            "mongodb" or "mongodb+srv" => RegistryBackend.MongoDb,
            _ => throw Invalid("it must start with postgres://, postgresql://, mongodb:// or mongodb+srv://"),
        };
        var (start, end) = Authority(uri);
        var hosts = uri[start..end];
        var at = hosts.LastIndexOf('@');
        if (at >= 0) hosts = hosts[(at + 1)..];
        if (hosts.Length == 0 && !uri.Contains("host=", StringComparison.Ordinal)) throw Invalid("it names no host");
        if (uri.Any(char.IsControl) || uri.Contains(' ')) throw Invalid("it contains spaces or control characters");
        return backend;
    }

    /// <summary>The URI with its user information masked: safe to print and log.</summary>
    public static string Mask(string uri)
    {
        if (uri.IndexOf("://", StringComparison.Ordinal) < 0) return "***";
        var start = uri.IndexOf("://", StringComparison.Ordinal) + 3;
        // The last '@' before the query, not only within the authority: a password with an unescaped '/' or '#'
        // would otherwise end the authority early and be printed. (Over-masking an '@' in a path is harmless.)
        var queryStart = uri.IndexOf('?', start);
        var end = queryStart < 0 ? uri.Length : queryStart;
        var at = end > start ? uri.LastIndexOf('@', end - 1, end - start) : -1;
        var masked = at < 0 ? uri : uri[..start] + "***" + uri[at..];
        // A password may also travel as a query parameter (password=…, tlsCertificateKeyFilePassword=…).
        var q = masked.IndexOf('?');
        if (q < 0) return masked;
        var parts = masked[(q + 1)..].Split('&').Select(p =>
            p.Split('=')[0] is var key && key.Contains("password", StringComparison.OrdinalIgnoreCase) ? key + "=***" : p);
        return masked[..(q + 1)] + string.Join('&', parts);
    }

    private static string SchemeOf(string uri)
    {
        var i = uri.IndexOf("://", StringComparison.Ordinal);
        if (i <= 0) throw Invalid("it must start with postgres://, postgresql://, mongodb:// or mongodb+srv://");
        return uri[..i].ToLowerInvariant();
    }

    private static (int Start, int End) Authority(string uri)
    {
        var start = uri.IndexOf("://", StringComparison.Ordinal) + 3;
        var end = uri.IndexOfAny(new[] { '/', '?', '#' }, start);
        return (start, end < 0 ? uri.Length : end);
    }

    private static CicdException Invalid(string why) =>
        new(CicdError.InvalidArgument, $"The registry URI is not valid: {why}.", null,
            "Example: postgres://USER:PASSWORD@HOST:5432/DB or mongodb+srv://USER:PASSWORD@CLUSTER/DB");
}
