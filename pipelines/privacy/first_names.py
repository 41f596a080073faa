"""Name gazetteers written for Flywheel: common given names and surnames across cultures, in Latin script.

It backs up spaCy's small NER model, which misses many names (lower case ones above all). The list
is ours (no third-party data): given names common in the English-speaking world, Latin America,
Europe (west, north, south, east), the Middle East, South and East Asia and Africa, spelled as
they usually appear in Latin script. ``AMBIGUOUS_FIRST_NAMES`` are names that are also everyday
English words or tech names ("Will", "Grace", "Ruby", "Claude"): alone they mean nothing, so the
name recognizer only takes them before a known surname or a capitalised non-word, or after a cue
("my name is Will"). ``SURNAMES`` are frequent family names worldwide; many are English words
("Smith", "Park", "Bell"), which is exactly why they need a list.
"""

from __future__ import annotations

from pipelines.privacy.lexicon import word_set

_NAMES = """
# English-speaking world
aaron abby abigail adam adrian aidan alan albert alex alexa alexander alexandra alexis alfred
alice alicia alison allison alyssa amanda amelia amy andrea andrew angela angelina anita ann anna
annabelle anne annie anthony antonio archie arthur ashley audrey austin ava avery barbara barry
beatrice becky benjamin bernard beth bethany betty beverly billy blake bobby bonnie brad bradley
brandon brenda brendan brett brian briana bridget brittany brooke bruce bryan caitlin caleb
cameron camila candice carl carla carlos caroline carolyn carrie casey cassandra catherine
charlene charles charlie charlotte chelsea cheryl chloe chris christian christina christine
christopher cindy claire clara clayton clifford colin colleen connor courtney craig crystal
curtis cynthia daisy damian daniel danielle danny darren david dawn deborah debra denise dennis
derek diana diane donald donna doris dorothy douglas dustin dylan edith edward eileen elaine
eleanor elijah elizabeth ella ellen ellie emily emma eric erica erik erin ethan eugene evan
evelyn gabriel gabriella gary gavin george georgia gerald gillian gina gloria gordon graham
gregory hailey haley hannah harold harper harriet harry hayden heidi helen henry holly howard
ian irene isaac isabel isabella isabelle jacob jacqueline jake james jamie jane janet janice
jared jasmine jason jeffrey jenna jennifer jenny jeremy jerry jesse jessica jill joan joanna
joanne jocelyn joel johnny jonathan jordan joseph joshua joyce judith judy julian julie justin
kaitlyn karen katherine kathleen kathryn kathy katie kayla keith kelly kelsey kenneth kevin
kimberly kristen kristin kristina kyle lacey larry laura lauren leah leonard leslie liam lillian
lilly lily linda lindsay lindsey lisa logan lois lori louis louise lucas lucy luke lydia lynn
madeline madison mandy marcus margaret maria marie marilyn marissa martha martin mary matthew
megan melanie melissa meredith michael michelle mildred molly monica morgan nancy natalie
nathan nathaniel nicholas nicole noah nora norman oliver olivia owen pamela patricia patrick
paul paula peter philip phillip phyllis rachel ralph randy rebecca regina renee rhonda richard
robert roberta robin roger ronald ruth ryan samantha samuel sandra sara sarah scott sean shannon
sharon shawn sheila shirley sophia sophie stacy stanley stephanie stephen steven susan suzanne
sydney tamara tammy tanya tara teresa terry thomas tiffany timothy tina todd tony tracy travis
trevor tyler valerie vanessa vernon veronica victoria vincent virginia walter wanda wayne wendy
whitney william willie zachary zoe kristy tracey stacey kirsten janelle shelby dustin colby
brittney kendra cody derrick marvin leroy clarence earl lloyd harvey herbert floyd wallace
melvin jerome russell bradford warren calvin alvin mitchell darrell wesley franklin theodore
raymond gilbert norma geraldine loretta bernice agnes ethel edna gladys vera thelma florence
irma nellie mabel ida ernest elmer chester lester milton cecil leon lewis jeanette doreen
maureen kerry declan ciaran niamh siobhan aoife saoirse oisin eoin padraig seamus sinead orla
fiona ailsa callum angus fraser hamish isla iona rhys gareth dylan bronwen cerys dafydd emrys
gwen megan osian sian tegan freya saskia mateus aiko john joe roy lawrence frances theresa taylor filip aaliyah adalyn
adalynn addison adeline aiden alaia aria ariana arianna arya athena aubrey axel beau bella bennett
brielle brooklyn brooks cora delilah dominic easton eden eliza elliana emersyn emery emilia
everett everleigh everly ezra gianna grayson greyson hadley hudson isaiah jace jackson jaxon
jayden josiah josie juniper kaylee kennedy kinsley leilani leo levi liliana lyla mackenzie
madelyn maeve magnolia maya mila naomi nevaeh nolan paisley penelope peyton piper quinn raelynn
reagan reese riley rylee ryder sadie savannah scarlett serenity silas skylar sloane stella
vivian waylon willow wyatt xavier zoey mali

# Spanish and Portuguese speaking
adriana agustin alberto alejandra alejandro alfonso alicia alvaro ana andres angel antonia
antonio araceli armando arturo beatriz benito blanca camila carina carmen carolina catalina
cecilia cesar claudia consuelo cristian cristina daniela diego dolores eduardo elena eliana
emilio enrique ernesto esperanza esteban eugenia fabiola federico felipe fernanda fernando
francisco gabriela gerardo gonzalo graciela guadalupe guillermo gustavo hector horacio hugo
ignacio ines isidro jaime javier jesus jimena joaquin jorge josefina juan juana julio laura
leonardo leticia lorena lourdes lucia luis luisa manuel manuela marcela marco marcos margarita
mariana mario marisol marta martina mateo mauricio mercedes miguel milagros monserrat natalia
nicolas norma octavio pablo paloma patricio pedro pilar rafael ramiro ramon raquel ricardo
roberto rocio rodrigo rogelio rosa rosario ruben salvador santiago sebastian sergio silvia
sofia susana teresa tomas valentina valeria veronica vicente victor ximena yolanda joao jose
thiago gabriel lucas matheus rafaela bruna leticia larissa camila beatriz goncalo rui tiago
duarte afonso sebastiao conceicao fatima graca luciana vanessa renata thais priscila joana
ines

# French, Italian, Greek
adele adrien agathe alain amandine amelie anais antoine apolline arnaud aurelie baptiste
benoit bernadette brigitte camille capucine cedric celine chantal christophe clement colette
corentin damien denis didier dominique elodie eloise emile emilie estelle etienne fabien
fabrice florian francois francoise gael gaelle geraldine gilles guillaume helene herve hugues
isabelle jacques jean-pierre jean-luc jerome josephine julien juliette laetitia lea loic
lucie manon marc margaux marine mathieu mathilde maxime michel mireille nathalie nicolas
noemie oceane pascal patrice philippe pierre quentin remi romain sandrine sebastien serge
severine solene stephane sylvain sylvie thibault thierry valentin veronique yann yannick
yves zoe alessandro alessia alessio andrea angelo anna antonella beatrice bianca carlo chiara
claudio cristiano daniele davide elisa emanuele enrico enzo fabio federica filippo francesca
francesco gabriele giacomo gianluca gianni giorgia giorgio giovanna giovanni giulia giulio
giuseppe ilaria lorenzo luca lucia luigi manuela marcello marco matteo mattia maurizio michele
nicola paolo pietro raffaele riccardo roberta roberto salvatore sara serena silvia simona
simone stefania stefano tommaso valentina valerio vincenzo vittoria aikaterini alexandros
anastasia andreas angeliki christos dimitra dimitris dimitrios eleni evangelia georgios
ioanna ioannis konstantinos maria nikolaos panagiotis sofia spyros stavros theodoros vasiliki
vasilis yannis kostas athanasios eirini despina

# German, Dutch, Nordic
achim andreas anja anke annika bastian benedikt bernd birgit bjorn bjarne britta carsten
christa christoph claudia dagmar detlef dieter dirk doris elke emil erika ernst esther fabian
felix florian frank franziska frauke friedrich gabriele gerhard gisela gregor gudrun gunter
hans hanna hannelore harald heike heiko heinz helga helmut hendrik henrik holger horst ilse
ingo ingrid jana jannik jens joachim jochen johanna johannes jonas jorg jurgen jutta kai karin
karl karsten katharina katja kerstin klaus konrad kurt lars lena lennart leonie lukas lutz
maik manfred marcel marianne markus marlene martina mathias matthias maximilian mia michaela
monika nadine niklas nils nina norbert olaf ole oskar petra rainer ralf regina reinhard renate
rolf rudiger sabine sandra sascha sebastian silke simon sonja stefan steffen susanne sven tanja
thorsten tobias torsten udo ulrich ulrike ursula ute uwe volker walter werner wiebke wilhelm
wolfgang yvonne arjen bram daan dirk-jan eline femke floor geert gerrit hendrika henk jeroen
joost joris kees koen lieke lotte luuk maarten marieke mark-jan nienke niels pieter ruud sander
sanne sjoerd stijn thijs tim-jan willem wouter wijtze ayla agnetha anders anneli arne astrid
birgitta bo-erik britt dag einar elin elsa emelie erling eskil frida gunnar gustav hakan hedda
helmer hilde hjalmar ingeborg ingvar jorunn kari karina kjell knut lasse leif linnea liv
magnus maja malin mats mikael nils-erik oddvar olle oscar per-olof ragnar ragnhild rasmus
runar sigrid signe siv solveig stig sune svea tomas tone torbjorn tove ulf vidar vilde
annette benedikte birthe dorthe frederik freja ida jesper jakob jonna kasper lykke mette
mikkel morten nanna rikke sofie soren steen troels ulla vibeke aleksi eero eija eino elina
hanna-leena heikki ilkka jukka juha kaisa kalle kari-pekka lauri leena mika mikko minna
olli paivi pekka petri riikka sami sanna satu seppo tapio teemu tuomas tuula ville

# Central and Eastern Europe, Baltics, Balkans
adam agnieszka aleksandra aleksander alicja andrzej anna barbara bartosz beata bogdan bozena
dariusz dorota elzbieta ewa ewelina grazyna grzegorz halina irena iwona jacek jadwiga jakub
jan janina jaroslaw jerzy joanna jolanta jozef julia justyna kamil karolina katarzyna kazimierz
krystyna krzysztof lukasz maciej magdalena malgorzata marcin marek mariusz marta mateusz michal
mieczyslaw miroslaw monika natalia pawel piotr przemyslaw rafal renata robert roman ryszard
sebastian slawomir stanislaw stefan sylwia szymon tadeusz teresa tomasz urszula wieslaw wiktor
witold wojciech zbigniew zdzislaw zofia zuzanna alena bohumil dagmar eva frantisek hana ivana
jana jaroslav jiri josef karel katerina ladislav lenka lucie marketa martin milan miloslav
miroslav ondrej pavel pavla petr radek stanislav tereza vaclav veronika vladimir vojtech
zdenek zuzana andrej branislav dusan igor juraj lubomir lubica maros milos peter stefan
agnes andras attila balazs csaba dora eniko erzsebet eszter ferenc gabor gyorgy gyula ildiko
imre istvan janos jozsef judit katalin krisztina laszlo marton mihaly miklos orsolya peter
reka sandor szilvia tamas zoltan zsofia zsuzsanna adrian alexandru alina andreea bogdan
catalin claudiu corina cosmin cristi dan daniela dorin elena florin gheorghe ioana ion ionut
iulia laurentiu liviu madalina marian mihaela mihai mircea nicoleta ovidiu petru radu raluca
razvan sorin stefania teodora valentin vasile viorel ana bojan dragan dejan goran ivan jelena
jovana katarina luka marija marko milica milos nebojsa nikola predrag sasa snezana srdjan
stefan tijana vesna zoran zeljko ante ivana josip kresimir mate matea mirela petra tomislav
aleksandar boris borislav dimitar georgi hristo ivaylo krasimir lyuben mariya nikolay petar
plamen rumen stoyan svetlana tsvetan vasil velichko yordan zlatko agris andris arturs daina
ieva ilze inese janis kristaps liga maris raimonds sandis zane algirdas asta audrius dalia
egle gintaras ieva jonas jurgita kestutis laura mantas rasa rimantas ruta saulius tomas vaida
vytautas aivar andrus kadri kaja kalev liis mart marko merike priit rein siim tiit toomas
triin urmas

# Russian, Ukrainian and neighbours
aleksei alexei alla alina alyona anastasiya andrei anton arkady artem artyom boris daria
darya denis dmitri dmitry egor ekaterina elena evgeny evgenia fedor galina gennady grigory
igor ilya inna irina ivan kirill konstantin ksenia larisa leonid lidia lyudmila maksim marina
maxim mikhail nadezhda natalya nikita nikolai oksana olga pavel polina roman ruslan sergei
sergey stanislav svetlana tatiana tatyana timur vadim valentina valery vasily vera viktor
viktoria vitaly vladimir vladislav vyacheslav yana yaroslav yekaterina yelena yevgeny yulia
yuri zhanna bohdan dmytro halyna hryhoriy kateryna mykola mykhailo oleh oleksandr oleksandra
oleksiy olena petro serhiy taras vasyl volodymyr yaroslava yuliia yurii nino giorgi levan
tamar davit irakli anano arman aram armen anahit gayane hayk karen lilit narine tigran
aigerim aliya asel aibek azamat bakhyt daniyar dinara erlan gulnara kairat madina nurlan
saule timur yerlan zarina

# Arabic, Turkish, Persian, Hebrew
abdallah sumaya sumayya abdel abdul abdullah abdulaziz abdulrahman adel ahmad ahmed aisha ali alia amal amin
amina amir amira anas asma ayman aziz bashir bilal dalia dina fadi farah faris fatima fatma
fawzi ghada habib hadi hafsa hamza hana hani hasan hassan hatem hiba hind hussein ibrahim imad
iman ismail jamal jamila karim khadija khaled khalid khalil laila layla leila lina mahmoud
majid malak malik mariam maryam mohamed mohammad mohammed mona mostafa mounir mustafa nabil
nadia nadine naguib najib nasser nour noura omar osama rami rana rania rashid reem rida saad
sabah said saleh salem salma sameer samer samir sara sawsan shadi sharif tarek tariq wael walid
yasmin yasmine yousef youssef yusuf zainab zaid zeinab ziad ayse ahmet aylin baris berk burak
can cem deniz ebru elif emine emre esra fatih furkan gizem gul hakan hatice hulya ipek kaan
kemal kerem mehmet melike meltem merve murat mustafa ozan ozge recep selin serkan sevgi sinan
tuba tugba tuncay ufuk umut volkan yasemin yusuf zeynep arash ali-reza amir-hossein azadeh
babak bahram behnam behrouz darius dariush farhad farid fariba farzaneh golnar hamid hossein
jafar kamran kaveh kourosh leyla mahsa mahnaz maryam mehdi mehran mina mitra mohsen mojgan
morteza nasrin navid neda nima parisa parviz payam pegah reza roya saeed sahar sanaz shahram
shirin siavash soraya yasaman abraham adi amit anat ariel asher avi avigail avraham ayelet
batya boaz dafna dalia daniela dov efrat eitan eli elior eliyahu elad gal gideon hadas
ilan itai itamar lior liora maayan meir michal moshe naama nadav noam ofer ofir oren orly
rachel ronit ruth shai shani shira shlomo shmuel tal tamar uri yael yair yaakov yehuda yitzhak
yoav yonatan yosef zohar

# South Asian
aarav aarti abhishek aditi aditya aishwarya ajay akash akshay amit amita anand ananya anil
anjali ankit ankita anuj anupam anushka arjun arun aruna aryan ashish ashok asha bhavna chetan
deepa deepak deepika devendra dhruv dinesh divya gaurav geeta girish gopal govind harish
harsh hemant indira ishaan isha jagdish jaya jyoti kabir kamal kanika karan kavita kavya
kiran kishore krishna kunal lakshmi lalit madhu mahesh manish manoj meena meera mohan mukesh
nandini naresh naveen neha nikhil nisha nitin pallavi pankaj pooja prakash pranav prasad
pratik preeti priya priyanka rahul raj rajat rajesh rajiv rakesh ramesh ravi rekha ritu
rohan rohit sachin sagar sameer sandeep sanjay santosh sapna saurabh shalini shankar sharmila
shilpa shivani shreya shubham siddharth simran sneha sonal sonia sudha sunil sunita suresh
swati tanvi tarun uday usha varun vijay vikas vikram vinay vinod vishal vivek yash yogesh
zara ayesha bilal faisal farhan fawad hamza haris imran irfan javed junaid kamran mahnoor
nadeem naveed rizwan saad saima sana shahid shoaib sohail tahir usman waqas zainab zeeshan
anisur arif habibur mahmudul nusrat rafiq rashida shakil tahmina tanvir kasun nimal dilani
chamari prasanna ruwan tharindu

# East and South-East Asian
wei jing ming hui xin yan ying jun hao lei yu xiao zhang-wei xiaoming xiaoling jianguo jian
jie juan lan li-na lihua lixin mei meiling na-na qiang qing rui shu tao ting wen xia xiu yang
yi yong yun zhen zhi zhiwei zihan haoran yichen yuxuan zixuan ziyi shuang jiayi jiahui
yuting yue chen-yu kai-wen hsin-yi chia-hui pei-shan shu-fen wei-ling ka-ming wing-yan
hiroshi takeshi haruto yuto sota yuki yuka yui hina aoi sakura akira daiki kenji kenta
kazuki koji makoto masaki masato naoki ryota ryo satoshi shota shun taichi takumi takuya
tatsuya tomoya yusuke yuya ayaka ayumi chihiro emi eri haruka hikari kana kaori keiko
kumiko mai mami mayumi megumi miho miki misaki miyu naoko natsuki rie risa saki sayaka
shiori tomoko yoko yoshiko yumi minjun min-jun seojun seo-jun doyun do-yun jiho ji-ho
jiwoo ji-woo junseo jun-seo hyun-woo hyunwoo jihoon ji-hoon minho min-ho seoyeon seo-yeon
jiyeon ji-yeon soyeon so-yeon minji min-ji yuna yu-na eunji eun-ji jisoo ji-soo hyejin
sungmin sung-min younghee young-hee dong-hyun jae-won jaewon seung-hoon taeyang anh bao binh
chau cuong dung duc giang hai hanh hieu hoa hoang hong hung huong huy khanh khoa lan linh
long mai minh my nam ngoc nguyet nhung phong phuong quan quang quynh son tam thanh thao thi
thu thuy trang tri trung tuan tung uyen vinh vy xuan yen andi agus ayu bambang budi dewi eko
fitri hendra indah joko kurniawan lestari putri rina sari siti sri wahyu wulan yanti adit
arief ahmad rizki rizky nurul intan kartika somchai somsak sompong malee nattapong siriporn
kittisak pornthip wanchai apinya chanida kanya jomari marites rodrigo mariel joyce jhun
rommel ligaya

# African
abebe abena abimbola ade adebayo adeola adewale adaeze adanna ama amara amadou aminata
asante ayodele ayo babajide babatunde bongani chidi chidinma chiamaka chika chinedu chinonso
chioma chukwuemeka chukwudi dumisani efua ekow emeka enitan esi folake funmilayo fola
godfrey gugu ifeanyi ifeoma ikechukwu jabari kamau kofi kojo kwabena kwaku kwame kwasi kwesi
lerato lindiwe lwazi mandla mbali moses mpho mthunzi musa nandi ngozi njeri nkechi nkosana
nomvula nonhlanhla nthabiseng obinna ogechi oluchi olumide oluwaseun oluwatobi olamide
onyeka precious sipho siphiwe tendai thabo thandeka themba tinashe tumelo uchenna wanjiru
wambui yaa yaw zanele zodwa zola zuri amani baraka imani juma kibet kiprono otieno wanjiku
achieng akinyi atieno makena mwangi njoroge ochieng odhiambo wairimu abdi abdirahman ayaan
farhiya hodan liban mahad warsame hamdi fanta fatoumata mamadou moussa oumar ousmane seydou
sekou awa binta kadiatou mariama ibrahima cheikh khadim babacar aissatou ndeye yacine
"""

# Names that are also ordinary English words or product names: alone they prove nothing.
AMBIGUOUS_FIRST_NAMES: frozenset[str] = word_set(
    """
    will may june april august mark bill grace hope faith joy rose ivy iris hazel violet daisy
    holly amber ruby pearl jade dawn summer autumn sky rain river storm hunter chase grant frank
    jack guy art rich drew dean gene ray rod sue pat van wade don max page lane sandy penny bob
    carol heather olive cliff sterling reed glen dale forest brook miles bud buck eve ada julia
    harmony melody destiny trinity justice royal king prince major marshall mason baker cooper
    carter tucker porter parker hunter archer sage bay lake ocean stone cash price sunny honey
    kit lee jan mat nat sal ali bo al ed jo li yu na my mai nam son long hung hai tao lan thi
    thu an yi yan yang hui xin jun lei tam dung chau my bao nam long hong cuong hao jing ming
    claude devin jules gemini alexa siri cortana codex cursor copilot llama sonnet haiku opus
    echo nova luna aurora phoenix jasper atlas apollo orion kai nico neo felix oscar hugo victor
    rocky dusty chip champ ace bear fox wolf hawk crow robin jay wren sparrow angel precious
    blessing gift patience prudence charity mercy constance joyce earnest ernest frank faith
    said amin sami nour dina tal gal per ole dag liv stig siv bo-erik karen norma urban
    florence roman angel christian tommy doris jean carmen lucky sunday monday friday can floor
    harsh tone mate ting ante hind rein mats maxim marine earl dirk randy lea crystal mantas sari
    tung ute wen yen ion lily jasmine salem mina jerry bonnie marina pascal travis mali genesis
    serenity kennedy savannah
    """
)

FIRST_NAMES: frozenset[str] = AMBIGUOUS_FIRST_NAMES | frozenset(
    word
    for line in _NAMES.splitlines()
    if line.strip() and not line.lstrip().startswith("#")
    for word in line.split()
)

_SURNAMES = """
# English-speaking world
smith johnson williams brown jones miller davis wilson anderson taylor thomas moore martin jackson
thompson white harris clark lewis robinson walker young allen king wright scott hill green adams
baker nelson carter mitchell roberts turner phillips campbell parker evans edwards collins stewart
morris rogers reed cook morgan bell murphy bailey cooper richardson cox howard ward peterson gray
watson brooks kelly sanders price bennett wood barnes ross henderson coleman jenkins perry powell
long patterson hughes flores washington butler simmons foster bryant alexander russell griffin
hayes myers ford hamilton graham sullivan wallace woods cole west jordan owens reynolds fisher
ellis harrison gibson mcdonald marshall stone hunt black hall lee walsh byrne ryan obrien o'brien
o'connor oconnor o'neill kennedy doyle lynch mccarthy kelleher gallagher quinn fitzgerald brennan
campbell macdonald robertson reid mackenzie fraser davies jones lloyd price hughes morgan
# Spanish, Portuguese, Latin American
garcia rodriguez martinez hernandez lopez gonzalez gonzales perez sanchez ramirez torres rivera
gomez diaz cruz reyes morales ortiz gutierrez chavez ramos ruiz alvarez mendoza castillo jimenez
moreno romero herrera medina aguilar vargas castro guzman fernandez fernandes vasquez vazquez
salazar soto delgado pena rios navarro silva santos oliveira pereira costa alves ferreira souza
sousa lima carvalho gomes ribeiro martins rocha almeida nascimento araujo barbosa mendes cardoso
# French, Italian, Greek
martin bernard dubois thomas robert richard petit durand leroy moreau simon laurent lefebvre
michel garcia david bertrand roux vincent fournier morel girard andre mercier dupont lambert
bonnet francois martinez rossi russo ferrari esposito bianchi romano colombo ricci marino greco
bruno gallo conti deluca mancini costa giordano rizzo lombardi moretti barbieri fontana santoro
papadopoulos papadakis georgiou nikolaidis dimitriou
# German, Dutch, Nordic
muller mueller schmidt schneider fischer weber meyer wagner becker schulz hoffmann schafer koch
bauer richter klein wolf schroder neumann schwarz zimmermann braun kruger hartmann lange werner
krause lehmann kohler maier jansen janssen vries dijk bakker visser
smit meijer mulder bos vos peters hendriks dekker brouwer andersson johansson karlsson nilsson
eriksson larsson olsson persson svensson gustafsson lindqvist lindberg hansen johansen olsen
larsen andersen pedersen nielsen kristensen jensen eriksen virtanen korhonen makinen nieminen
# Central and Eastern Europe
nowak kowalski kowalska wisniewski wojcik kowalczyk kaminski lewandowski zielinski szymanski
novak novakova svoboda dvorak horvat kovacs nagy toth szabo horvath varga popescu ionescu
ivanov ivanova petrov petrova smirnov smirnova kuznetsov popov sokolov volkov shevchenko
kovalenko bondarenko melnyk jovanovic petrovic nikolic markovic kovacevic babic
# Middle East, Turkey, Iran, Israel
hassan hussein ali ahmed mohamed mohammed khan rahman haddad nasser khalil saleh mansour
yilmaz kaya demir sahin celik yildiz yildirim ozturk aydin ozdemir arslan dogan
hosseini tehrani ahmadi rezaei mohammadi karimi moradi hashemi
cohen levi mizrahi peretz biton friedman katz
# South Asia
patel sharma kumar singh gupta reddy iyer menon nair rao joshi mehta shah desai verma mishra
chopra kapoor malhotra agarwal bhat pillai das banerjee chatterjee mukherjee bose sen ghosh
chowdhury hussain qureshi siddiqui malik butt perera fernando silva
# East and South-East Asia
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin luo gao zheng
tanaka suzuki watanabe yamamoto takahashi kobayashi nakamura ito sato kato yoshida yamada sasaki
kim lee park choi jung jeong kang cho yoon jang lim han shin oh seo kwon hwang
nguyen tran le pham hoang phan vu vo dang bui do ho ngo duong ly
santos reyes cruz bautista ocampo garcia mendoza aquino
# Africa
okafor okeke okonkwo adeyemi adebayo oyelaran eze nwosu mensah boateng asante owusu osei
nkosi dlamini ndlovu khumalo mokoena mwangi otieno kamau ochieng wanjiru kariuki haile tesfaye
diallo traore keita coulibaly toure ndiaye sow ba fall
"""

SURNAMES: frozenset[str] = frozenset(
    word
    for line in _SURNAMES.splitlines()
    if line.strip() and not line.lstrip().startswith("#")
    for word in line.split()
)
