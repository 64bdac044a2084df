using System.CommandLine;
using Lethe.Api.Auth;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;
using Lethe.LocalCloud;

namespace Lethe.Cli.Commands;

/// <summary><c>./lethe token --tenant T --role R [--sub S]</c>: a JWT a local <c>up</c> accepts, signed with the dev key in .lethe/.</summary>
public static class TokenCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant id ([a-z0-9-], up to 40; a local up creates it on first use).", Required = true };
        var role = new Option<string>("--role") { Description = $"One of: {string.Join(", ", Roles.All)}.", Required = true };
        var sub = new Option<string?>("--sub") { Description = "The token's subject (for role subject: the data subject id). Default: dev-<role>." };
        var hours = new Option<int>("--hours") { Description = "Lifetime in hours (1–720).", DefaultValueFactory = _ => 12 };
        var command = new Command("token", "Print a JWT accepted by a local `./lethe up`.") { tenant, role, sub, hours };
        command.SetAction(parse =>
        {
            var t = parse.GetValue(tenant)!;
            var r = parse.GetValue(role)!;
            var h = parse.GetValue(hours);
            var errors = new List<string>();
            if (!TenantId.IsWellFormed(t))
            {
                errors.Add($"--tenant '{t}' is not a tenant id: up to 40 characters of [a-z0-9-].");
            }

            if (!Roles.IsKnown(r))
            {
                errors.Add($"--role '{r}' is not a role; use one of: {string.Join(", ", Roles.All)}.");
            }

            if (h is < 1 or > 720)
            {
                errors.Add("--hours must be between 1 and 720.");
            }

            if (errors.Count > 0)
            {
                errors.ForEach(e => Console.Error.WriteLine($"lethe token: {e}"));
                return 2;
            }

            var root = RepositoryLayout.FindRoot() ?? Directory.GetCurrentDirectory();
            var key = DevSigningKey.LoadOrCreate(DevSigningKey.DefaultPath(root));
            Console.WriteLine(DevSigningKey.IssueToken(key, t, [r], parse.GetValue(sub) ?? $"dev-{r}", TimeSpan.FromHours(h), DateTimeOffset.UtcNow));
            return 0;
        });
        return command;
    }
}
