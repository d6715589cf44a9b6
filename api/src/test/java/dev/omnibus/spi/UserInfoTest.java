package dev.omnibus.spi;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class UserInfoTest {
    @Test
    void splitsAtTheLastAtAndTheFirstColon() {
        UserInfo u = UserInfo.split("alice:p@ss:w/rd?#@h1:4222,h2");
        assertThat(u.present()).isTrue();
        assertThat(u.user()).hasValue("alice");
        assertThat(u.password()).hasValue("p@ss:w/rd?#");
        assertThat(u.hosts()).isEqualTo("h1:4222,h2");
        assertThat(u.toString()).doesNotContain("p@ss").contains("alice");
    }

    @Test
    void tokenAndPasswordOnlyForms() {
        UserInfo token = UserInfo.split("s3cr3t@host");
        assertThat(token.user()).hasValue("s3cr3t");
        assertThat(token.password()).isEmpty();
        assertThat(token.toString()).doesNotContain("s3cr3t");
        UserInfo passwordOnly = UserInfo.split(":pw@host");
        assertThat(passwordOnly.user()).isEmpty();
        assertThat(passwordOnly.password()).hasValue("pw");
        UserInfo none = UserInfo.split("host:1");
        assertThat(none.present()).isFalse();
        assertThat(none.hosts()).isEqualTo("host:1");
    }

    @Test
    void decodesPercentEscapesLeniently() {
        assertThat(UserInfo.split("u%40x:a%2Fb%zz%4+c%C3%A9@h").password()).hasValue("a/b%zz%4+c\u00e9");
        assertThat(UserInfo.split("u%40x:pw@h").user()).hasValue("u@x");
        assertThat(UserInfo.split("u:100%@h").password()).hasValue("100%");
    }
}
