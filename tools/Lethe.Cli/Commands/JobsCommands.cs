using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Lethe.Api.Auth;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;
using Lethe.LocalCloud;

namespace Lethe.Cli.Commands;

/// <summary>
/// <c>./lethe jobs --tenant T</c> lists a tenant's requests; <c>./lethe watch --tenant T ID</c> follows one with a live progress
/// bar, its phase and ETA until it closes (exit 0 completed, 1 failed/cancelled/denied, 2 usage or a request the API found
/// malformed, 3 not found, refused or unreachable; rate limits and failures on the API's side are waited out, 10 in a row at most).
/// Both call the API like any client: with <c>--token</c> (or <c>LETHE_TOKEN</c>), else a tenant-admin token signed with the
/// local dev key (a local <c>./lethe up</c> only).
/// </summary>
public static class JobsCommands
{
    private static readonly string[] OpenStatuses = ["awaiting-approval", "queued", "running"];

    private static readonly string[] ClosedStatuses = ["completed", "failed", "cancelled", "denied"];

    /// <summary>Longer than any request id Lethe issues.</summary>
    private const int MaxIdLength = 64;

    public static Command CreateJobs()
    {
        var (tenant, url, token) = Common();
        var status = new Option<string?>("--status") { Description = "Only requests in this status (awaiting-approval, queued, running, completed, failed, cancelled, denied)." };
        var type = new Option<string?>("--type") { Description = "Only requests of this type (deletion, export, retention-sweep, …)." };
        var overdue = new Option<bool>("--overdue") { Description = "Only requests past their deadline." };
        var limit = new Option<int>("--limit") { Description = "How many (1–100).", DefaultValueFactory = _ => 25 };
        var command = new Command("jobs", "List a tenant's requests: id, type, status, phase, progress, ETA, deadline.") { tenant, url, token, status, type, overdue, limit };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (Usage("jobs", parse.GetValue(tenant)!, parse.GetValue(limit)) is { } usage)
            {
                return usage;
            }

            using var client = Client("jobs", parse.GetValue(url), parse.GetValue(token), parse.GetValue(tenant)!);
            if (client is null)
            {
                return 2;
            }

            var query = string.Join('&', new[]
            {
                parse.GetValue(status) is { } s ? $"status={Uri.EscapeDataString(s)}" : null,
                parse.GetValue(type) is { } t ? $"type={Uri.EscapeDataString(t)}" : null,
                parse.GetValue(overdue) ? "overdue=true" : null,
                $"limit={parse.GetValue(limit)}",
            }.Where(p => p is not null));
            var (code, page, _) = await GetAsync(client, $"v1/tenants/{parse.GetValue(tenant)}/requests?{query}", "jobs", cancellationToken);
            if (page is not { } list)
            {
                return code;
            }

            var items = list.GetProperty("items").EnumerateArray().ToList();
            Console.WriteLine($"{"REQUEST",-28} {"TYPE",-18} {"STATUS",-17} {"PHASE",-16} {"PROGRESS",-30} {"ETA",-20} DEADLINE");
            foreach (var job in items)
            {
                Console.WriteLine($"{Text(job, "id"),-28} {Text(job, "type"),-18} {Text(job, "status"),-17} {Text(job, "phase"),-16} {Bar(job, 12),-30} {Time(job, "eta"),-20} {Time(job, "deadline")}{(job.TryGetProperty("overdue", out var o) && o.ValueKind == JsonValueKind.True ? " (overdue)" : string.Empty)}");
            }

            Console.WriteLine(items.Count == 0 ? "No requests match." : $"{items.Count} request(s){(list.TryGetProperty("nextCursor", out var next) && next.ValueKind == JsonValueKind.String ? "; more with --limit or filters" : string.Empty)}.");
            return 0;
        });
        return command;
    }

    public static Command CreateWatch()
    {
        var (tenant, url, token) = Common();
        var id = new Argument<string>("ID") { Description = "The request id (as jobs lists it)." };
        var interval = new Option<double>("--interval") { Description = "Seconds between looks (0.2–60).", DefaultValueFactory = _ => 1 };
        var command = new Command("watch", "Follow one request with a live progress bar, its phase and ETA, until it closes.") { tenant, url, token, id, interval };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (Usage("watch", parse.GetValue(tenant)!, 1) is { } usage)
            {
                return usage;
            }

            var requestId = parse.GetValue(id)!;
            if (requestId.Length is 0 or > MaxIdLength || requestId is "." or ".." || requestId.Any(char.IsControl))
            {
                // "." and ".." would climb the path (…/requests/.. is the tenant) and be watched as if they were a request.
                await Console.Error.WriteLineAsync($"lethe watch: '{requestId}' is not a request id (./lethe jobs lists them).");
                return 2;
            }

            var every = parse.GetValue(interval);
            if (every is < 0.2 or > 60)
            {
                await Console.Error.WriteLineAsync("lethe watch: --interval is between 0.2 and 60 seconds.");
                return 2;
            }

            using var client = Client("watch", parse.GetValue(url), parse.GetValue(token), parse.GetValue(tenant)!);
            if (client is null)
            {
                return 2;
            }

            return await WatchAsync(client, parse.GetValue(tenant)!, requestId, TimeSpan.FromSeconds(every), Console.Out, !Console.IsOutputRedirected, cancellationToken);
        });
        return command;
    }

    /// <summary>Follows a request until it closes, drawing one line (redrawn in place on a terminal, one line per change otherwise).</summary>
    public static async Task<int> WatchAsync(HttpClient client, string tenant, string id, TimeSpan interval, TextWriter output, bool live, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(output);
        var last = string.Empty;
        var failures = 0;
        while (true)
        {
            var (code, found, transient) = await GetAsync(client, $"v1/tenants/{tenant}/requests/{Uri.EscapeDataString(id)}", "watch", cancellationToken);
            if (found is not { } job)
            {
                // A rate limit, a failure on the API's side or a timeout may pass: a long erasure is watched through them.
                if (!transient || ++failures >= MaxTransientFailures)
                {
                    return code;
                }

                await Task.Delay(TimeSpan.FromSeconds(Math.Min(MaxBackoffSeconds, interval.TotalSeconds * failures * 2)), cancellationToken);
                continue;
            }

            failures = 0;
            var status = Text(job, "status");
            if (!OpenStatuses.Contains(status, StringComparer.Ordinal) && !ClosedStatuses.Contains(status, StringComparer.Ordinal))
            {
                await Console.Error.WriteLineAsync($"lethe watch: the API's answer for '{id}' is not a request (no status of one).");
                return 3;
            }

            var line = $"{id} {Text(job, "type")} {Bar(job, 30)} {status} · phase {Text(job, "phase")} · ETA {Time(job, "eta")}";
            if (live)
            {
                // Redrawn in place: cut to the terminal's width (a wrapped line cannot be redrawn), the rest of it cleared.
                var width = Math.Max(20, TerminalWidth() - 1);
                await output.WriteAsync($"\r{(line.Length > width ? line[..width] : line)}\u001b[K");
            }
            else if (line != last)
            {
                await output.WriteLineAsync(line);
            }

            last = line;
            if (!OpenStatuses.Contains(status, StringComparer.Ordinal))
            {
                if (live)
                {
                    await output.WriteLineAsync();
                }

                foreach (var error in job.TryGetProperty("errors", out var errors) ? errors.EnumerateArray() : default)
                {
                    await output.WriteLineAsync($"  error: item {Text(error, "itemId")}: {Text(error, "message")}");
                }

                await output.WriteLineAsync(status == "completed" ? $"{id} completed." : $"{id} ended {status}.");
                return status == "completed" ? 0 : 1;
            }

            await Task.Delay(interval, cancellationToken);
        }
    }

    /// <summary>How many refused or failed looks in a row end a watch (exit 3).</summary>
    public const int MaxTransientFailures = 10;

    /// <summary>The longest wait between two looks after failures (the backoff grows with each failure up to this).</summary>
    public const int MaxBackoffSeconds = 30;

    private static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    /// <summary><c>[#######-----]  58% (7/12, 1 failed)</c>: the job's own counters, never an estimate of ours.</summary>
    public static string Bar(JsonElement job, int width)
    {
        if (!job.TryGetProperty("progress", out var progress) || progress.ValueKind != JsonValueKind.Object)
        {
            return string.Empty;
        }

        var percent = Math.Clamp(Number(progress, "percent"), 0, 100);
        var filled = (int)(percent * width / 100);
        var failed = Number(progress, "failed");
        return $"[{new string('#', filled)}{new string('-', width - filled)}] {percent,3}% ({Number(progress, "processed")}/{Number(progress, "total")}{(failed > 0 ? $", {failed} failed" : string.Empty)})";
    }

    private static (Option<string> Tenant, Option<Uri?> Url, Option<string?> Token) Common() => (
        new Option<string>("--tenant") { Description = "The tenant id.", Required = true },
        CliOptions.BaseUrl("The Lethe API (default http://localhost:8080, a running ./lethe up)."),
        new Option<string?>("--token") { Description = "A bearer token (default: LETHE_TOKEN, else a local dev tenant-admin token)." });

    private static int? Usage(string command, string tenant, int limit)
    {
        if (!TenantId.IsWellFormed(tenant))
        {
            Console.Error.WriteLine($"lethe {command}: --tenant '{tenant}' is not a tenant id: up to 40 characters of [a-z0-9-].");
            return 2;
        }

        if (limit is < 1 or > 100)
        {
            Console.Error.WriteLine($"lethe {command}: --limit is between 1 and 100.");
            return 2;
        }

        return null;
    }

    /// <summary>A client with the given token, else a local dev token (inside the repository only); null after saying why not.</summary>
    private static HttpClient? Client(string command, Uri? url, string? token, string tenant)
    {
        var bearer = token ?? Environment.GetEnvironmentVariable("LETHE_TOKEN");
        if (string.IsNullOrWhiteSpace(bearer))
        {
            if (RepositoryLayout.FindRoot() is not { } root)
            {
                Console.Error.WriteLine($"lethe {command}: no token: pass --token (or set LETHE_TOKEN); the local dev key is only used inside the Lethe repository.");
                return null;
            }

            bearer = DevSigningKey.IssueToken(DevSigningKey.LoadOrCreate(DevSigningKey.DefaultPath(root)), tenant, [Roles.TenantAdmin], "lethe-cli", TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
        }

        var client = new HttpClient { BaseAddress = url ?? new Uri("http://localhost:8080/"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer.Trim());
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>
    /// A JSON answer, or the exit code after saying why there is none (a problem's title, detail and field errors, never a stack):
    /// 2 for a request the API found malformed, 3 otherwise; <c>Transient</c> when another look may succeed.
    /// </summary>
    private static async Task<(int Code, JsonElement? Body, bool Transient)> GetAsync(HttpClient client, string path, string command, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            // Nothing listens there (or the name does not resolve): waiting would not change that.
            await Console.Error.WriteLineAsync($"lethe {command}: the API at {client.BaseAddress} cannot be reached ({ex.Message}). Is ./lethe up running? (--url names another)");
            return (3, null, false);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"lethe {command}: the API at {client.BaseAddress} did not answer within {client.Timeout.TotalSeconds:0} s.");
            return (3, null, true);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var transient = response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;
            JsonElement body;
            try
            {
                using var document = JsonDocument.Parse(text);
                body = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                await Console.Error.WriteLineAsync($"lethe {command}: {(int)response.StatusCode} from the API, not JSON.");
                return (3, null, transient);
            }

            if (response.IsSuccessStatusCode)
            {
                return (0, body, false);
            }

            var hint = response.StatusCode == HttpStatusCode.Unauthorized ? " (pass --token, or run against a local ./lethe up, which accepts the dev key)" : string.Empty;
            await Console.Error.WriteLineAsync($"lethe {command}: {(int)response.StatusCode} {Text(body, "title")}: {Text(body, "detail")}{hint}");
            if (body.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in errors.EnumerateObject())
                {
                    await Console.Error.WriteLineAsync($"  {field.Name}: {string.Join(" ", field.Value.EnumerateArray().Select(m => m.GetString()))}");
                }
            }

            return (response.StatusCode == HttpStatusCode.BadRequest ? 2 : 3, null, transient);
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "—";

    private static long Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;

    private static string Time(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : "—";
}
