using System.CommandLine;
using Lethe.Cli.Commands;

// The commands behind ./lethe (API.md). The bash script installs prerequisites and builds; this does the work.
var root = new RootCommand("Lethe: data lifecycle and privacy compliance, on your machine.")
{
    UpCommand.Create(),
    TokenCommand.Create(),
    VerifyCertificateCommand.Create(),
    DemoCommand.Create(),
    JobsCommands.CreateJobs(),
    JobsCommands.CreateWatch(),
};

// Bad arguments are reported with each reason (usage, exit 2); anything that still escapes a command is one line, never a stack trace.
try
{
    // A command line the parser refuses is a usage error: exit 2 with each reason, as every command documents.
    var parsed = root.Parse(args);
    if (parsed.Errors.Count > 0)
    {
        foreach (var error in parsed.Errors)
        {
            await Console.Error.WriteLineAsync($"lethe: {error.Message}");
        }

        await Console.Error.WriteLineAsync("lethe: ./lethe --help lists the commands; ./lethe COMMAND --help their options.");
        return 2;
    }

    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OperationCanceledException)
{
    return 130;
}
#pragma warning disable CA1031 // The last resort of a command-line tool: say what failed in one line and exit non-zero.
catch (Exception ex)
#pragma warning restore CA1031
{
    await Console.Error.WriteLineAsync($"lethe: {ex.Message}");
    return 1;
}
