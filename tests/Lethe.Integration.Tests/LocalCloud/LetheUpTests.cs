using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Lethe.LocalCloud;
using Lethe.LocalCloud.Moto;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>
/// <c>./lethe up</c> and <c>./lethe token</c> as a user runs them (the real CLI in a child process): the printed contract lines,
/// the API answering CLI tokens, and no moto process outliving it, on a clean stop or a SIGKILL.
/// </summary>
public sealed partial class LetheUpTests
{
    private static readonly string Root = RepositoryLayout.FindRoot()!;

    internal static string CliDll()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var cli = Path.Combine(Root, "tools", "Lethe.Cli", "bin", configuration, "net10.0", "Lethe.Cli.dll");
        File.Exists(cli).Should().BeTrue($"the CLI is built with the solution ({cli})");
        return cli;
    }

    internal static ProcessStartInfo Cli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Root,
        };
        start.ArgumentList.Add(CliDll());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The child gets its own AWS settings from `up`, never the test host's local cloud.
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k.StartsWith("LETHE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        return start;
    }

    private sealed class RunningUp : IAsyncDisposable
    {
        public required Process Process { get; init; }

        public required List<string> Lines { get; init; }

        public required int ApiPort { get; init; }

        public required int AwsPort { get; init; }

        public int MotoPid => int.Parse(MotoPidPattern().Match(string.Join('\n', Lines)).Groups[1].Value, CultureInfo.InvariantCulture);

        public async ValueTask DisposeAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }

            Process.Dispose();
        }
    }

    private static async Task<RunningUp> StartUpAsync()
    {
        var apiPort = MotoServer.FreePort();
        var awsPort = MotoServer.FreePort();
        var process = Process.Start(Cli("up", "--port", apiPort.ToString(CultureInfo.InvariantCulture), "--aws-port", awsPort.ToString(CultureInfo.InvariantCulture)))!;
        var lines = new List<string>();
        using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (!lines.Any(l => l.StartsWith("Ctrl-C", StringComparison.Ordinal)))
        {
            var line = await process.StandardOutput.ReadLineAsync(ready.Token)
                ?? throw new InvalidOperationException("up exited early: " + await process.StandardError.ReadToEndAsync(ready.Token));
            lines.Add(line);
        }

        return new RunningUp { Process = process, Lines = lines, ApiPort = apiPort, AwsPort = awsPort };
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(params string[] args)
    {
        using var process = Process.Start(Cli(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, (await stdout).Trim(), await stderr);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<bool> ExitsWithinAsync(int pid, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout && IsAlive(pid))
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return !IsAlive(pid);
    }

    [Fact]
    public async Task Up_prints_the_contract_lines_and_its_API_answers_tokens_from_lethe_token()
    {
        await using var up = await StartUpAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://localhost:{up.ApiPort}") };
        var ct = TestContext.Current.CancellationToken;

        up.Lines.Should().Contain([
            $"Lethe is up: http://localhost:{up.ApiPort}",
            $"AWS endpoint: http://localhost:{up.AwsPort}",
            "export AWS_ACCESS_KEY_ID=test",
            "export AWS_SECRET_ACCESS_KEY=test",
            "export AWS_DEFAULT_REGION=us-east-1",
            $"export AWS_ENDPOINT_URL=http://localhost:{up.AwsPort}",
        ]);
        (await http.GetAsync("/health", ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        var (exit, token, _) = await RunCliAsync("token", "--tenant", "t1", "--role", "tenant-admin");
        exit.Should().Be(0);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await http.GetAsync("/v1/tenants/t1", ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        using var foreign = await http.GetAsync("/v1/tenants/t2", ct);
        foreign.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        foreign.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        // Kestrel would refuse %00 with a bare 400 before any of our code; the API answers a problem naming the parameter.
        using var nul = await http.GetAsync("/v1/tenants/t1%00x/settings", ct);
        nul.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        nul.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await nul.Content.ReadAsStringAsync(ct)).Should().Contain("\"tenantId\"");
        (await http.GetAsync("/v1/tenants/t1", ct)).StatusCode.Should().Be(HttpStatusCode.OK, "the connection is still served after it");
        http.DefaultRequestHeaders.Authorization = null;
        using var anonymous = await http.GetAsync("/v1/tenants/t1", ct);
        anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        anonymous.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task The_demo_runs_against_a_running_up_given_with_url()
    {
        await using var up = await StartUpAsync();

        var (exit, output, errors) = await RunCliAsync("demo", "--url", $"http://localhost:{up.ApiPort}");

        exit.Should().Be(0, output + errors);
        output.Should().Contain("Done: Anna is gone, Ben is untouched and has his copy, and it is proven.");
        output.Should().Contain("manifest.json").And.Contain("records.json");
    }

    [Fact]
    public async Task Jobs_lists_a_tenants_requests_and_watch_follows_one_to_completion()
    {
        await using var up = await StartUpAsync();
        var ct = TestContext.Current.CancellationToken;
        var (_, token, _) = await RunCliAsync("token", "--tenant", "cli-jobs", "--role", "service");
        using var http = new HttpClient { BaseAddress = new Uri($"http://localhost:{up.ApiPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        (await http.PostAsJsonAsync("/v1/tenants/cli-jobs/subjects/zoe/records", new { category = "note", fields = new { text = "hello" } }, ct)).EnsureSuccessStatusCode();
        using var submitted = await http.PostAsJsonAsync("/v1/tenants/cli-jobs/requests", new { type = "export", subjectId = "zoe", format = "json" }, ct);
        var jobId = System.Text.Json.JsonDocument.Parse(await submitted.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("id").GetString()!;
        var url = $"http://localhost:{up.ApiPort}";

        var (watchExit, watched, watchErrors) = await RunCliAsync("watch", "--tenant", "cli-jobs", jobId, "--url", url, "--interval", "0.5");
        var (jobsExit, listed, jobsErrors) = await RunCliAsync("jobs", "--tenant", "cli-jobs", "--type", "export", "--url", url);

        watchExit.Should().Be(0, watched + watchErrors);
        watched.Should().Contain($"{jobId} completed.").And.Contain("[##############################] 100%");
        jobsExit.Should().Be(0, listed + jobsErrors);
        listed.Should().Contain(jobId).And.Contain("completed").And.Contain("1 request(s).");
    }

    [Fact]
    public async Task Watch_of_a_request_that_does_not_exist_says_so_and_exits_3()
    {
        await using var up = await StartUpAsync();

        var (exit, output, errors) = await RunCliAsync("watch", "--tenant", "cli-none", "job_nope", "--url", $"http://localhost:{up.ApiPort}");

        exit.Should().Be(3);
        (output + errors).Should().Contain("404").And.NotContain("   at ");
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    public async Task Watch_of_an_id_that_would_climb_the_path_is_a_usage_error(string id)
    {
        var (exit, output, errors) = await RunCliAsync("watch", "--tenant", "t1", id, "--url", $"http://localhost:{MotoServer.FreePort()}");

        exit.Should().Be(2, "'{0}' is no request id: watching it would read the tenant or the request list instead", id);
        errors.Should().Contain("is not a request id").And.NotContain("cannot be reached", "nothing is asked of the API");
        output.Should().BeEmpty();
    }

    [Fact]
    public async Task Watch_against_an_API_that_is_not_there_exits_3_without_looking_again()
    {
        var (exit, _, errors) = await RunCliAsync("watch", "--tenant", "t1", "job_1", "--url", $"http://localhost:{MotoServer.FreePort()}", "--interval", "0.2");

        exit.Should().Be(3);
        Regex.Count(errors, "cannot be reached").Should().Be(1, "nothing listening there is not a failure that waiting fixes");
    }

    [Theory]
    [InlineData("demo", "--url", "notaurl")]
    [InlineData("demo", "--url", "ftp://localhost:8080")]
    [InlineData("verify-certificate", "/no/such/file.json", "--url", "localhost")]
    [InlineData("token", "--tenant", "t1", "--role", "tenant-admin", "--hours", "many")]
    [InlineData("no-such-command")]
    [InlineData("jobs")]
    [InlineData("jobs", "--tenant", "Not A Tenant")]
    [InlineData("watch", "--tenant", "t1")]
    [InlineData("watch", "--tenant", "t1", "job_1", "--interval", "0")]
    public async Task Bad_arguments_get_a_clear_message_and_never_a_stack_trace(params string[] args)
    {
        var (exit, output, errors) = await RunCliAsync(args);

        exit.Should().NotBe(0);
        (output + errors).Should().NotContain("   at ", "a user gets a sentence, not a stack trace").And.NotContain("Unhandled exception");
    }

    [Fact]
    public async Task The_demo_against_an_API_that_is_not_there_says_so_in_one_line()
    {
        var (exit, output, errors) = await RunCliAsync("demo", "--url", $"http://localhost:{MotoServer.FreePort()}");

        exit.Should().NotBe(0);
        (output + errors).Should().Contain("Connection refused").And.NotContain("   at ");
    }

    [Fact]
    public async Task Its_AWS_endpoint_serves_the_catalog_tables_to_the_aws_cli()
    {
        await using var up = await StartUpAsync();
        var start = new ProcessStartInfo("aws") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--endpoint-url", $"http://localhost:{up.AwsPort}", "dynamodb", "list-tables", "--output", "text" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["AWS_ACCESS_KEY_ID"] = "test";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "test";
        start.Environment["AWS_DEFAULT_REGION"] = "us-east-1";
        using var aws = Process.Start(start)!;
        var output = await aws.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await aws.WaitForExitAsync(TestContext.Current.CancellationToken);

        aws.ExitCode.Should().Be(0);
        output.Should().ContainAll(Lethe.Catalog.ResourceCatalog.Tables.Select(t => Lethe.LocalCloud.Bootstrap.ResourceBootstrapper.PhysicalName("lethe-local", t.LogicalName)));
    }

    [Fact]
    public async Task SIGTERM_stops_up_cleanly_and_its_moto_with_it()
    {
        await using var up = await StartUpAsync();
        var moto = up.MotoPid;

        using (var kill = Process.Start("kill", ["-TERM", up.Process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        await up.Process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        up.Process.ExitCode.Should().Be(0);
        (await ExitsWithinAsync(moto, TimeSpan.FromSeconds(10))).Should().BeTrue();
    }

    [Fact]
    public async Task Killing_up_with_SIGKILL_leaves_no_moto_behind()
    {
        await using var up = await StartUpAsync();
        var moto = up.MotoPid;
        IsAlive(moto).Should().BeTrue();

        up.Process.Kill(entireProcessTree: false);
        await up.Process.WaitForExitAsync(TestContext.Current.CancellationToken);

        (await ExitsWithinAsync(moto, TimeSpan.FromSeconds(10))).Should().BeTrue("moto dies with its parent (stdin closed / PR_SET_PDEATHSIG)");
    }

    [Fact]
    public async Task Disposing_the_local_cloud_stops_its_moto_process()
    {
        var cloud = await LocalCloudHost.StartAsync(new LocalCloudOptions { ResourcePrefix = "lethe-it-stop" }, cancellationToken: TestContext.Current.CancellationToken);
        var moto = cloud.MotoProcessId;
        IsAlive(moto).Should().BeTrue();

        await cloud.DisposeAsync();

        (await ExitsWithinAsync(moto, TimeSpan.FromSeconds(10))).Should().BeTrue();
    }

    [Fact]
    public async Task Up_on_a_port_in_use_says_so_and_starts_nothing()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var (exit, _, stderr) = await RunCliAsync("up", "--port", taken.ToString(CultureInfo.InvariantCulture), "--aws-port", MotoServer.FreePort().ToString(CultureInfo.InvariantCulture));

        exit.Should().Be(1);
        stderr.Should().Contain($"port {taken} is in use");
    }

    [Theory]
    [InlineData("BAD_TENANT", "tenant-admin", "--tenant 'BAD_TENANT' is not a tenant id")]
    [InlineData("t1", "superuser", "--role 'superuser' is not a role")]
    public async Task Token_refuses_bad_input_with_a_clear_message(string tenant, string role, string message)
    {
        var (exit, stdout, stderr) = await RunCliAsync("token", "--tenant", tenant, "--role", role);

        exit.Should().Be(2);
        stdout.Should().BeEmpty("no token is printed for bad input");
        stderr.Should().Contain(message);
    }

    [GeneratedRegex(@"moto_server pid (\d+)")]
    private static partial Regex MotoPidPattern();
}
