"""Stop words for theme extraction, per supported language.

Each list has two parts: common function words (articles, pronouns, prepositions,
conjunctions, auxiliary and modal verb forms, adverbs of degree and time; based on the usual
Snowball/NLTK lists) and words that are generic in customer feedback and never a theme by
themselves ("product", "service", "really", "great"...). Tone words such as "great" or "bad"
are included because the sentiment mix already reports tone; themes should say *what* people
talk about.

Entries are lowercase and NFC-normalised, written with a straight apostrophe. Words shorter
than three letters are dropped by the tokeniser anyway but are kept here for completeness.
"""

from __future__ import annotations

import functools

_EN_FUNCTION = """
a about above after again against ago all almost along already although always am among an and another
any anybody anyone anything anyway anywhere are aren't around as at away back be became because become
been before behind being below beside besides between beyond both but by can can't cannot could couldn't
did didn't do does doesn't doing don't done down during each either else enough etc every everybody
everyone everywhere few for from further had hadn't has hasn't have haven't having he he'd he'll he's her
here here's hers herself him himself his how how's however i i'd i'll i'm i've if in inside instead into
is isn't it it'd it'll it's its itself just least less let let's many may me might mine more most much
must mustn't my myself near neither never next no nobody none nor not now nowhere of off often on once
one ones only onto or other others otherwise ought our ours ourselves out outside over own per perhaps
quite rather same shall shan't she she'd she'll she's should shouldn't since so some somebody someone
somehow somewhere such than that that's the their theirs them themselves then there there's therefore
these they they'd they'll they're they've this those though through throughout thus till to together too
toward towards under unless until up upon us was wasn't we we'd we'll we're we've were weren't what
what's whatever when when's whenever where where's whereas wherever whether which while who who's whoever
whole whom whose why why's will with within without won't would wouldn't yet you you'd you'll you're
you've your yours yourself yourselves
am is are was were be been being have has had do does did go goes going went gone come comes came coming
say says said see seen seem seems seemed take took taken want wanted give gave given keep kept put
cant dont doesnt didnt isnt wasnt wont wouldnt couldnt shouldnt havent hasnt arent werent im ive youre
thats theres whats lets
"""

_EN_GENERIC = """
product products service services really very just get gets got getting gotten would could also even thing
things bit lot lots stuff pretty overall actually basically definitely especially literally probably
simply certainly totally absolutely maybe sure still ever always sometimes usually already quite kind
sort way ways something anything everything nothing someone everyone make makes made making use
think thought feel felt know knew like liked love loved hate hated good great nice bad fine okay ok
excellent awesome amazing fantastic wonderful perfect terrible awful horrible poor best worst better worse
please thanks thank thx yes yeah yep nope lol experience company
"""

_DE_FUNCTION = """
aber ab alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm
andern anders auch auf aus außer bei beim bin bis bist bzw da dabei dadurch dafür dagegen daher dahin
damals damit danach dann daran darauf daraus darf darfst darin darum darüber das dass daß dasselbe davon
davor dazu dein deine deinem deinen deiner deines dem demselben den denen denn dennoch denselben der
deren derer derselbe derselben des deshalb desselben dessen deswegen dich die dies diese dieselbe
dieselben diesem diesen dieser dieses dir doch dort du durch dürfen ein eine einem einen einer eines
einig einige einigem einigen einiger einiges einmal er es etwa etwas euch euer eure eurem euren eurer
eures für gegen gewesen hab habe haben hast hat hatte hatten hätte hätten her heute hier hin hinter ich
ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist ja jede jedem jeden jeder jedes jedoch
jene jenem jenen jener jenes jetzt kann kannst kein keine keinem keinen keiner keines können könnte
könnten man manche manchem manchen mancher manches mein meine meinem meinen meiner meines mich mir mit
muss musste müssen müsste nach nachdem neben nein nicht nichts noch nun nur ob obwohl oder ohne seid
sein seine seinem seinen seiner seines seit selbst sich sie sind so sobald solche solchem solchen
solcher solches soll sollen sollte sollten sondern sonst soweit sowie sowohl statt über um und uns
unser unsere unserem unseren unserer unseres unter usw viel viele vom von vor während wann war wäre
wären waren warst warum was weg wegen weil weiter welche welchem welchen welcher welches wem wen wenn
wer werde werden weshalb wie wieder will wir wird wirst wo wodurch woher wohin wollen wollte wollten
worden wurde würde wurden würden zu zum zur zwar zwischen
gibt gab geht ging gehen kommt kam kommen macht machte machen gemacht lässt ließ sagen sagt gesagt
geht's gibt's hab's
"""

_DE_GENERIC = """
produkt produkte produkts service services dienst dienstleistung wirklich echt sehr ganz gar halt eben
mal immer schon noch eigentlich einfach bisschen leider bitte danke vielen vielleicht natürlich eher oft
manchmal nie niemals allerdings außerdem irgendwie insgesamt total sowieso bereits trotzdem sache sachen
ding dinge gut gute guter gutes super toll tolle schlecht schlechte prima klasse okay ok perfekt
ausgezeichnet schrecklich besser beste schlechter erfahrung firma unternehmen
"""

_ES_FUNCTION = """
a al algo alguien algún alguna algunas alguno algunos ante antes aquel aquella aquellas aquello aquellos
aquí así aun aunque cada como cómo con contra cual cuál cuales cuando cuándo cuanto cuánto de del desde
donde dónde durante e el él ella ellas ello ellos en entre era erais eran eras eres es esa esas ese eso
esos esta está estaba estabais estaban estabas estad estada estadas estado estados estamos estando
estar estaré estarán estaría estás estas este esté estemos estén estés esto estos estoy estuve estuvo
estuvieron estuvimos fue fueron fui fuimos fuera ha habéis haber había habían habrá habría han has hasta
hay haya hayan he hemos hube hubo hubiera la las le les lo los más mas me mi mí mía mías mientras mío
míos mis mucho muchos muy nada ni no nos nosotras nosotros nuestra nuestras nuestro nuestros o os otra
otras otro otros para pero poco por porque pues que qué quien quién quienes se sea sean según ser será
serán sería si sí siendo sin sido sobre sois somos son soy su sus suya suyas suyo suyos también tampoco
tan tanto te tendrá tenemos tener tengo tenía tenían ti tiene tienen tienes todo todos tras tu tú tus
tuve tuvo tuvieron tuya tuyas tuyo tuyos un una uno unos unas usted ustedes vosotras vosotros vuestra
vuestras vuestro vuestros y ya yo
hacer hace hacen hizo hecho hago puede pueden puedo podría poder pudo va van voy ir fui dar da dan dio
decir dice dicen dijo ver veo vez veces ahora entonces luego después aquí allí allá ahí donde mismo misma
mismos mismas demás ningún ninguna ninguno cualquier otro
"""

_ES_GENERIC = """
producto productos servicio servicios realmente solo sólo solamente incluso cosa cosas bastante demasiado
siempre nunca todavía aún casi bien bueno buena buenos buenas buen malo mala malos malas mal excelente
genial perfecto perfecta increíble horrible terrible mejor peor gracias favor vale experiencia empresa
super súper verdad
"""

_FR_FUNCTION = """
à afin ai aie aient aies ait alors as au aucun aucune aujourd'hui auquel aura aurai auraient aurais
aurait auras aurez auriez aurions aurons auront aussi autre autres aux avaient avais avait avant avec
avez aviez avions avoir avons ayant bien c ça car ce ceci cela celle celles celui cependant certain
certaine certains ces cet cette ceux chacun chaque chez ci comme comment contre d dans de depuis des
dessous dessus devant doit dois donc dont du elle elles en encore entre es est et étaient étais était
étant été êtes étions être eu eue eues eûmes eurent eus eut eux fais fait faire faisait font fûmes
furent fus fut il ils j je jusqu jusque l la là laquelle le lequel les lesquelles lesquels leur leurs
lorsque lui m ma mais me même mêmes mes moi moins mon n ne ni non nos notre nous on ont ou où par parce
pas pendant peu peut peuvent plus plusieurs pour pourquoi pourrait pouvait qu quand que quel quelle
quelles quels qui quoi s sa sans se sera serai seraient serais serait seras serez seriez serions serons
seront ses si sien sienne soi soient sois soit sommes son sont sous suis sur t ta te tel telle tels
telles tes toi ton tous tout toute toutes tu un une vers voici voilà vos votre vous y
va vais vont aller allé fallait faut dit dire vu voir donne donné peux pu veux veut voulu
"""

_FR_GENERIC = """
vraiment juste aussi même chose choses produit produits service services toujours jamais déjà trop très
assez beaucoup souvent parfois tellement vachement hyper bon bons bonne bonnes mauvais mauvaise
mauvaises super génial géniale excellent excellente parfait parfaite top nul nulle horrible terrible
mieux meilleur meilleure pire merci oui expérience entreprise rien tout
"""

_IT_FUNCTION = """
a ad agl agli ai al all alla alle allo anche ancora avere avesse avete aveva avevano avevo avrà avrebbe
avrei avuto c che chi ci coi col come con contro cui da dagl dagli dai dal dall dalla dalle dallo degl
degli dei del dell della delle dello di dopo dove dov e è ebbe ed era erano ero essere fa fare fatto
fra fu fui furono gli ha hai hanno ho i il in io l la le lei li lo loro lui ma me mi mia mie miei mio
ne negl negli nei nel nell nella nelle nello noi non nostra nostre nostri nostro o ogni per perché però
più po poi prima qua quale quali quando quanta quante quanti quanto quasi quella quelle quelli quello
questa queste questi questo qui se sei senza si sia siamo siano siete sono sopra sotto sta stanno stata
state stati stato sto su sua sue sugl sugli sui sul sull sulla sulle sullo suo suoi te ti tra tu tua
tue tuo tuoi tutta tutte tutti tutto un una uno vi voi vostra vostre vostri vostro
abbia abbiamo abbiano avrò sarà sarò sarei sarebbe stavo stava può possono potrebbe posso devo deve
devono faccio fanno fatta vado va vanno dire detto dice ecco così cosí mentre quindi infatti invece
oppure ovvero perciò inoltre sì già ora adesso oggi altro altri altra altre qualcosa qualche nessuno
nessuna niente nulla
"""

_IT_GENERIC = """
davvero veramente proprio solo soltanto sempre mai molto molti molta molte poco troppo tanto tanti
abbastanza parecchio cosa cose prodotto prodotti servizio servizi bene buono buona buoni buone ottimo
ottima ottimi ottime male cattivo cattiva bello bella belli belle perfetto perfetta eccellente pessimo
pessima orribile fantastico migliore peggiore meglio peggio grazie esperienza azienda okay
"""

_PT_FUNCTION = """
a à ao aos aquela aquelas aquele aqueles aquilo as às até com como contra da das de dela delas dele
deles depois do dos e é ela elas ele eles em entre era eram éramos essa essas esse esses esta está
estamos estão estar estas estava estavam este esteja estes esteve estive estivemos estiveram estou eu
foi fomos for foram fosse fui há haja haver havia hei houve isso isto já lhe lhes mais mas me mesmo
meu meus minha minhas na nas não nem no nos nós nossa nossas nosso nossos num numa o os ou para pela
pelas pelo pelos por qual quando que quem se seja sejam sem ser será serão seria seriam seu seus só
somos sou sua suas são também te tem têm temos tenho ter teu teus teve tinha tinham tive tiveram
tu tua tuas um uma umas uns você vocês vos
onde porque porquê pois então agora aqui ali lá ainda cada outro outra outros outras algum alguma
alguns algumas nenhum nenhuma todo toda todos todas tudo nada algo alguém ninguém faz fazer fez feito
fazendo pode podem poderia posso pude vai vão vou ir dar deu diz dizer disse ver vez vezes pra pro tá
né cá sido sendo
"""

_PT_GENERIC = """
realmente apenas somente mesma mesmos mesmas coisa coisas produto produtos serviço serviços sempre
nunca bastante demais pouco muito muita muitos muitas tão tanto quase bem bom boa bons boas mau má
ruim ruins ótimo ótima ótimos ótimas excelente perfeito perfeita péssimo péssima horrível incrível
melhor pior obrigado obrigada sim experiência empresa super legal
"""


def _words(*blocks: str) -> frozenset[str]:
    return frozenset(word for block in blocks for word in block.split())


STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(_EN_FUNCTION, _EN_GENERIC),
    "de": _words(_DE_FUNCTION, _DE_GENERIC),
    "es": _words(_ES_FUNCTION, _ES_GENERIC),
    "fr": _words(_FR_FUNCTION, _FR_GENERIC),
    "it": _words(_IT_FUNCTION, _IT_GENERIC),
    "pt": _words(_PT_FUNCTION, _PT_GENERIC),
}


def stop_words(language: str | None) -> frozenset[str]:
    """Stop words of a language code such as "de" or "pt-BR"; English for unknown codes."""
    return STOP_WORDS.get(language_code(language), STOP_WORDS["en"])


@functools.lru_cache(maxsize=256)
def language_code(language: str | None) -> str:
    """Base code of a language tag ("pt-BR", "de_DE", "EN" -> "pt", "de", "en"); "en" when the
    language is missing or not supported."""
    base = (language or "").replace("_", "-").split("-")[0].strip().lower()
    return base if base in STOP_WORDS else "en"
