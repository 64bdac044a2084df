using System.Security.Cryptography;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Lethe.Domain.Crypto;

namespace Lethe.Domain.Tests.Crypto;

public sealed class FieldEnvelopeTests
{
    private static readonly EnvelopeContext Here = new("t1-acme", new string('a', 64), "rec-1", "body");

    private static SubjectKek NewKek(string id = "kek-1") => new(id, RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void Seal_then_Open_gives_back_the_value()
    {
        using var kek = NewKek();

        var envelope = FieldEnvelope.Seal("Coach: how did the week go?"u8, kek, Here);

        Encoding.UTF8.GetString(FieldEnvelope.Open(envelope, kek, Here)).Should().Be("Coach: how did the week go?");
        FieldEnvelope.KeyIdOf(envelope).Should().Be("kek-1");
    }

    [Fact]
    public void A_value_sealed_into_a_callers_buffer_opens_like_any_envelope_and_fills_the_buffer_exactly()
    {
        using var kek = NewKek();
        var value = "Coach: same time next week?"u8.ToArray();
        var buffer = new byte[FieldEnvelope.SealedLength(value.Length, kek)];

        FieldEnvelope.Seal(value, kek, Here, buffer);

        FieldEnvelope.Open(buffer, kek, Here).Should().Equal(value);
        buffer.Length.Should().Be(FieldEnvelope.Seal(value, kek, Here).Length);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void Sealing_into_a_buffer_of_the_wrong_length_is_refused_and_writes_nothing(int difference)
    {
        using var kek = NewKek();
        var buffer = new byte[FieldEnvelope.SealedLength(10, kek) + difference];

        var seal = () => FieldEnvelope.Seal(new byte[10], kek, Here, buffer);

        seal.Should().Throw<ArgumentException>();
        buffer.Should().OnlyContain(b => b == 0);
    }

    [Fact]
    public async Task Many_threads_sealing_and_opening_under_one_KEK_all_get_their_own_values_back()
    {
        // One KEK's cipher is shared by every value sealed under it (a warm API seals for many requests at once).
        using var kek = NewKek();
        var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                var value = Encoding.UTF8.GetBytes($"worker {worker} value {i}");
                var context = Here with { RecordId = $"rec-{worker}-{i}" };
                if (!FieldEnvelope.Open(FieldEnvelope.Seal(value, kek, context), kek, context).AsSpan().SequenceEqual(value))
                {
                    return false;
                }
            }

            return true;
        }, TestContext.Current.CancellationToken));

        (await Task.WhenAll(workers)).Should().OnlyContain(roundTripped => roundTripped);
    }

    [Fact]
    public void The_envelope_contains_no_plaintext_and_every_seal_uses_a_fresh_key_and_nonce()
    {
        using var kek = NewKek();
        var value = "anna@example.com anna@example.com"u8.ToArray();

        var first = FieldEnvelope.Seal(value, kek, Here);
        var second = FieldEnvelope.Seal(value, kek, Here);

        first.AsSpan().IndexOf("anna"u8).Should().Be(-1);
        first.Should().NotEqual(second);
        first.Skip(12).Take(60).Should().NotEqual(second.Skip(12).Take(60), "each value has its own wrapped DEK");
    }

    [Theory]
    [InlineData("t2-other", null, null, null)]
    [InlineData(null, "bbbb", null, null)]
    [InlineData(null, null, "rec-2", null)]
    [InlineData(null, null, null, "title")]
    public void An_envelope_moved_to_another_tenant_subject_record_or_field_does_not_open(string? tenant, string? subject, string? record, string? field)
    {
        using var kek = NewKek();
        var envelope = FieldEnvelope.Seal("secret"u8, kek, Here);
        var elsewhere = new EnvelopeContext(tenant ?? Here.TenantId, subject ?? Here.SubjectRef, record ?? Here.RecordId, field ?? Here.Field);

        var open = () => FieldEnvelope.Open(envelope, kek, elsewhere);

        open.Should().Throw<EnvelopeException>().Which.Reason.Should().Be("tampered");
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property Flipping_any_bit_anywhere_makes_the_envelope_unreadable() =>
        Prop.ForAll(Gen.Choose(0, 10_000).ToArbitrary(), Gen.Choose(0, 7).ToArbitrary(), (position, bit) =>
        {
            using var kek = NewKek();
            var envelope = FieldEnvelope.Seal("a value worth protecting"u8, kek, Here);
            envelope[position % envelope.Length] ^= (byte)(1 << bit);
            try
            {
                FieldEnvelope.Open(envelope, kek, Here);
                return false;
            }
            catch (EnvelopeException)
            {
                return true;
            }
        });

    [Fact]
    public void Without_the_subjects_key_nobody_can_open_it()
    {
        using var kek = NewKek();
        using var other = NewKek();
        var envelope = FieldEnvelope.Seal("secret"u8, kek, Here);

        var open = () => FieldEnvelope.Open(envelope, other, Here);

        open.Should().Throw<EnvelopeException>().Which.Reason.Should().Be("tampered");
    }

    [Fact]
    public void A_value_sealed_under_a_replaced_key_says_its_key_is_gone()
    {
        using var old = NewKek("kek-1");
        using var fresh = NewKek("kek-2");
        var envelope = FieldEnvelope.Seal("secret"u8, old, Here);

        var open = () => FieldEnvelope.Open(envelope, fresh, Here);

        open.Should().Throw<EnvelopeException>().Which.Reason.Should().Be("key-shredded");
    }

    [Fact]
    public void Rewrap_moves_a_value_to_a_fresh_key_and_the_old_key_no_longer_opens_it()
    {
        using var old = NewKek("kek-1");
        using var fresh = NewKek("kek-2");
        var envelope = FieldEnvelope.Seal("survivor"u8, old, Here);

        var rewrapped = FieldEnvelope.Rewrap(envelope, old, fresh, Here);

        Encoding.UTF8.GetString(FieldEnvelope.Open(rewrapped, fresh, Here)).Should().Be("survivor");
        ((Action)(() => FieldEnvelope.Open(rewrapped, old, Here))).Should().Throw<EnvelopeException>();
    }

    [Fact]
    public void An_unknown_format_version_is_refused_clearly()
    {
        using var kek = NewKek();
        var envelope = FieldEnvelope.Seal("x"u8, kek, Here);
        envelope[2] = 9;

        var open = () => FieldEnvelope.Open(envelope, kek, Here);

        open.Should().Throw<EnvelopeException>().Which.Reason.Should().Be("unsupported-format");
    }
}

public sealed class SubjectRefTests
{
    [Fact]
    public void The_same_id_under_the_same_key_gives_the_same_ref_and_it_never_contains_the_id()
    {
        var key = RandomNumberGenerator.GetBytes(32);

        var first = SubjectRef.Compute(key, "anna@example.com");

        first.Should().Be(SubjectRef.Compute(key, "anna@example.com")).And.MatchRegex("^[0-9a-f]{64}$").And.NotContain("anna");
    }

    [Fact]
    public void Another_tenant_key_gives_an_unrelated_ref() =>
        SubjectRef.Compute(RandomNumberGenerator.GetBytes(32), "anna").Should().NotBe(SubjectRef.Compute(RandomNumberGenerator.GetBytes(32), "anna"));
}

public sealed class FieldEnvelopeAadTests
{
    [Fact]
    public void The_AAD_is_the_header_then_the_RFC8785_JSON_of_the_binding()
    {
        var context = new EnvelopeContext("t1-acme", "ab\"c", "rec-1", "body\n");
        var header = new byte[] { 1, 2, 3 };

        var aad = FieldEnvelope.Aad(header, context, "value");

        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["v"] = 1, ["tenant"] = "t1-acme", ["subject"] = "ab\"c", ["record"] = "rec-1", ["field"] = "body\n", ["part"] = "value",
        };
        using var document = System.Text.Json.JsonDocument.Parse(json.ToJsonString());
        var canonical = Lethe.Domain.Canonical.CanonicalJson.SerializeToUtf8(document.RootElement);
        aad.Should().Equal(new byte[] { 0, 0, 0, 3, 1, 2, 3 }.Concat(canonical));
    }
}
