using System.CommandLine;
using Lethe.Cli.Commands;

// The commands behind ./lethe (API.md). The bash script installs prerequisites and builds; this does the work.
var root = new RootCommand("Lethe: data lifecycle and privacy compliance, on your machine.")
{
    UpCommand.Create(),
    TokenCommand.Create(),
    VerifyCertificateCommand.Create(),
    DemoCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
