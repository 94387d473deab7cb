using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Tests.Engine;

/// <summary>Prepared commands are reused with new values; what gets bound must always be what was asked for.</summary>
public sealed class StatementsTests
{
    private static Statements Open()
    {
        var c = new SqliteConnection("Data Source=:memory:");
        c.Open();
        var s = new Statements(c);
        s.Execute("CREATE TABLE t (a, b)");
        return s;
    }

    [Fact]
    public void The_same_command_binds_each_call_s_own_values_including_null_and_a_different_type()
    {
        using var s = Open();
        const string insert = "INSERT INTO t (a, b) VALUES ($a, $b)";
        s.Execute(insert, ("$a", 1L), ("$b", "one"));
        s.Execute(insert, ("$a", 2L), ("$b", null));
        s.Execute(insert, ("$a", "three"), ("$b", 3.5));
        Assert.Equal("1:one|2:(null)|three:3.5", Rows(s));
    }

    [Fact]
    public void Parameters_given_in_another_order_or_number_are_rebound_by_name()
    {
        using var s = Open();
        const string insert = "INSERT INTO t (a, b) VALUES ($a, $b)";
        s.Execute(insert, ("$a", 1L), ("$b", 2L));
        s.Execute(insert, ("$b", 4L), ("$a", 3L));
        Assert.Equal("1:2|3:4", Rows(s));
        Assert.Throws<InvalidOperationException>(() => s.Execute(insert, ("$a", 5L))); // $b missing: never the old value
    }

    private static string Rows(Statements s)
    {
        using var r = s.Connection.CreateCommand();
        r.CommandText = "SELECT a, b FROM t ORDER BY rowid";
        using var reader = r.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
            rows.Add($"{Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)}:" +
                     $"{(reader.IsDBNull(1) ? "(null)" : Convert.ToString(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture))}");
        return string.Join('|', rows);
    }
}
