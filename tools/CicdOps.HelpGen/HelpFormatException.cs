namespace CicdOps.HelpGen;

/// <summary>A help page that does not follow the platyPS schema; the message names file and line.</summary>
internal sealed class HelpFormatException(string file, int line, string message)
    : Exception($"{file}:{line}: {message}");
