using System.Diagnostics;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary><c>./lethe demo</c>, the real CLI with a local cloud of its own: the narrated erasure must run to its proof.</summary>
public sealed class LetheDemoTests
{
    [Fact]
    public async Task The_demo_walks_through_an_erasure_and_ends_with_a_valid_certificate_and_audit_chain()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        using var demo = Process.Start(LetheUpTests.Cli("demo"))!;
        var output = demo.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = demo.StandardError.ReadToEndAsync(timeout.Token);

        await demo.WaitForExitAsync(timeout.Token);

        var text = await output;
        demo.ExitCode.Should().Be(0, text + await errors);
        text.Should().Contain("Anna: 0 records visible; Ben: 1.");
        text.Should().Contain("verify-certificate: valid");
        text.Should().Contain("audit/verify: valid=True");
        text.Should().Contain("Done: Anna is gone, Ben is untouched and has his copy, and it is proven.");
    }
}
