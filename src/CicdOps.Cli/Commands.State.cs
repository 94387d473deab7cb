using System.CommandLine;

namespace CicdOps.Cli;

internal static partial class Commands
{
    /// <summary>`cicdops backup FILE`: a consistent copy of the state database (restore is documented in the README).</summary>
    private static Command Backup()
    {
        var file = new Argument<string>("FILE") { Description = "The new file to write (must not exist)" };
        var cmd = new Command("backup", """
            Write a consistent copy of the state database to a new file (0600); safe while the listener runs.
            Keep master.key with it: secrets stay encrypted under that key.

            Example: cicdops backup /root/backups/cicdops-$(date +%F).db
            """) { file };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var written = engine.Backup(pr.GetValue(file)!);
            Console.Out.WriteLine($"state backed up to {written}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
