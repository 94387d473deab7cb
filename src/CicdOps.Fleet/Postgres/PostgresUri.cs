using Npgsql;

namespace CicdOps.Fleet.Postgres;

/// <summary>
/// postgres://USER:PASSWORD@HOST[:PORT][,HOST2[:PORT]]/DB?sslmode=…&amp;host=/socket/dir — libpq's URI form, turned
/// into an Npgsql connection string (Npgsql takes key=value strings only). Errors never repeat the URI.
/// </summary>
internal static class PostgresUri
{
    public static string ToConnectionString(string uri)
    {
        var b = new NpgsqlConnectionStringBuilder();
        var rest = uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var query = "";
        var q = rest.IndexOf('?');
        if (q >= 0) { query = rest[(q + 1)..]; rest = rest[..q]; }
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var database = slash < 0 ? "" : Uri.UnescapeDataString(rest[(slash + 1)..]);
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            b.Username = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            if (colon >= 0) b.Password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        }
        if (authority.Length > 0) b.Host = Uri.UnescapeDataString(authority);
        if (database.Length > 0) b.Database = database;
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            try
            {
                switch (key)
                {
                    case "host": b.Host = value; break;
                    case "port": b.Port = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                    case "user": b.Username = value; break;
                    case "password": b.Password = value; break;
                    case "dbname": b.Database = value; break;
                    case "sslmode": b.SslMode = Enum.Parse<SslMode>(value.Replace("-", ""), ignoreCase: true); break;
                    case "connect_timeout": b.Timeout = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                    case "application_name": b.ApplicationName = value; break;
                    case "target_session_attrs": b["Target Session Attributes"] = value; break;
                    default: b[key] = value; break;
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or KeyNotFoundException)
            {
                throw new CicdException(CicdError.InvalidArgument, $"The registry URI has an unknown or invalid parameter '{Printable(key)}'.", null,
                    "Use libpq parameters such as sslmode, host, port, connect_timeout, application_name.", e);
            }
        }
        b.ApplicationName ??= "cicdops";
        // Deploys never wait on the registry, but the sync loop should notice an outage quickly.
        if (!query.Contains("connect_timeout", StringComparison.Ordinal)) b.Timeout = 5;
        b.KeepAlive = 15;
        return b.ConnectionString;
    }

    private static string Printable(string s) => new(s.Where(c => !char.IsControl(c)).Take(40).ToArray());
}
