using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Lethe.LocalCloud.Moto;

/// <summary>
/// moto_server as a child process, started through <c>moto_launcher.py</c> (which patches moto 5.2.1's Step Functions bug and
/// dies with us: we hold its stdin open, so any end of this process, a crash included, closes the pipe and ends moto).
/// </summary>
public sealed class MotoServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private MotoServer(Process process, int port)
    {
        _process = process;
        Port = port;
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
    }

    public int Port { get; }

    public Uri Endpoint { get; }

    /// <summary>The emulator's exit code once it has exited (null while it runs): 0 = it chose to exit, negative = a signal.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public int ProcessId => _process.Id;

    /// <summary>What the launcher printed (its status line says whether the Step Functions patch was applied).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<MotoServer> StartAsync(string python, int gatewayPort, TimeSpan timeout, ILogger logger, CancellationToken cancellationToken)
    {
        var launcher = Path.Combine(AppContext.BaseDirectory, "moto", "moto_launcher.py");
        if (!File.Exists(launcher))
        {
            throw new FileNotFoundException("The moto launcher is missing from the build output.", launcher);
        }

        var port = FreePort();
        var info = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(launcher);
        info.ArgumentList.Add("--port");
        info.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Step Functions tasks call "AWS" at localhost:MOTO_PORT: that must be our gateway, so Lambda tasks reach our handlers.
        info.Environment["MOTO_PORT"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["AWS_ACCESS_KEY_ID"] = "test";
        info.Environment["AWS_SECRET_ACCESS_KEY"] = "test";
        info.Environment["PYTHONUNBUFFERED"] = "1";

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {python}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"Could not start '{python}' for moto_server ({ex.Message}). Install Python 3 and moto: python3 -m pip install -r tools/requirements.txt", ex);
        }

        var server = new MotoServer(process, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await server.WaitUntilHealthyAsync(timeout, cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        logger.LogInformation("moto_server pid {Pid} listening on {Port}", process.Id, port);
        return server;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            // Keep the head (status lines); moto logs every request. LETHE_MOTO_LOG names a file that gets everything.
            if (_output.Length < 64 * 1024)
            {
                _output.AppendLine(line);
            }

            if (Environment.GetEnvironmentVariable("LETHE_MOTO_LOG") is { Length: > 0 } file)
            {
                File.AppendAllText(file, line + Environment.NewLine);
            }
        }
    }

    private async Task WaitUntilHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"moto_server exited with code {_process.ExitCode} before it was ready. Is moto installed (python3 -m pip install -r tools/requirements.txt)? Output:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(Endpoint, "moto-api/config"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"moto_server did not answer within {timeout.TotalSeconds:0}s. Output:\n{Output}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // Closing stdin is the launcher's signal to exit; kill is the fallback.
                _process.StandardInput.Close();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await _process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The process was never started or is already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }
}
