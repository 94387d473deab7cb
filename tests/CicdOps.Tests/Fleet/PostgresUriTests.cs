using CicdOps.Fleet.Postgres;
using Npgsql;

namespace CicdOps.Tests.Fleet;

public sealed class PostgresUriTests
{
    [Fact]
    public void A_libpq_uri_becomes_an_npgsql_connection_string()
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresUri.ToConnectionString(
            "postgresql://fleet%40corp:p%3Ass@db1:6543,db2/cicd%20fleet?sslmode=verify-full&connect_timeout=3&application_name=n1"));
        Assert.Equal(("fleet@corp", "p:ss", "db1:6543,db2", "cicd fleet", SslMode.VerifyFull, 3, "n1"),
            (b.Username, b.Password, b.Host, b.Database, b.SslMode, b.Timeout, b.ApplicationName));
    }

    [Fact]
    public void A_socket_directory_can_be_the_host()
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresUri.ToConnectionString("postgres:///cicd?host=/run/postgresql&port=5433"));
        Assert.Equal(("/run/postgresql", 5433, "cicd"), (b.Host, b.Port, b.Database));
    }

    [Fact]
    public void An_unknown_parameter_is_an_error_that_does_not_repeat_the_uri()
    {
        var e = Assert.Throws<CicdException>(() => PostgresUri.ToConnectionString("postgres://u:hunter22@h/db?frobnicate=1"));
        Assert.Equal(CicdError.InvalidArgument, e.Error);
        Assert.Contains("'frobnicate'", e.Message);
        Assert.DoesNotContain("hunter22", e.Message);
    }
}
